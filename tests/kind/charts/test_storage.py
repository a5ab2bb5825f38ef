"""PostgreSQL of the services chart on kind: its data on a PersistentVolumeClaim that kind's local-path provisioner
binds (a folder on the services node), and still there after the pod is deleted and the StatefulSet makes a new one;
the services are ready again once it is back."""

from __future__ import annotations

import uuid

import pytest

from tests.kind.charts.releases import Kube, misplaced, ready

STATEFULSET_POD = "observatory-services-postgresql-0"
CLAIM = f"data-{STATEFULSET_POD}"


def psql(kube: Kube, namespace: str, sql: str) -> str:
    """One statement in the pod, over TCP as the services connect, with the password the chart generated."""
    script = 'PGPASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")" psql -h 127.0.0.1 -U observatory -d postgres -v ON_ERROR_STOP=1 -tAc "$0"'
    return kube.run("-n", namespace, "exec", STATEFULSET_POD, "-c", "postgresql", "--", "sh", "-c", script, sql).strip()


@pytest.mark.timeout(1200)
def test_the_data_is_on_a_local_path_volume_and_survives_a_pod_deletion(kube: Kube, services: str) -> None:
    claim = kube.json("-n", services, "get", "pvc", CLAIM)
    assert claim["status"]["phase"] == "Bound", claim["status"]
    storage_class = kube.json("get", "storageclass", claim["spec"]["storageClassName"])
    assert storage_class["provisioner"] == "rancher.io/local-path"
    volume = kube.json("get", "pv", claim["spec"]["volumeName"])
    terms = volume["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"]
    nodes = {value for term in terms for expr in term["matchExpressions"] for value in expr["values"]}
    assert nodes == {kube.nodes_by_role()["services"]}, nodes  # the folder is on the services node

    marker = f"survives-{uuid.uuid4().hex[:8]}"
    psql(
        kube,
        services,
        f"CREATE TABLE IF NOT EXISTS kind_persistence (marker text); INSERT INTO kind_persistence VALUES ('{marker}')",
    )
    before = kube.json("-n", services, "get", "pod", STATEFULSET_POD)["metadata"]["uid"]
    kube.run("-n", services, "delete", "pod", STATEFULSET_POD, "--wait=true", timeout=180)

    def back() -> bool:
        pods = [p for p in kube.pods(services) if p["metadata"]["name"] == STATEFULSET_POD]
        return bool(pods) and pods[0]["metadata"]["uid"] != before and ready(pods[0])

    kube.wait_for("the new PostgreSQL pod", back, timeout=300)
    assert kube.json("-n", services, "get", "pvc", CLAIM)["spec"]["volumeName"] == volume["metadata"]["name"]
    assert marker in psql(kube, services, "SELECT marker FROM kind_persistence").split()
    kube.wait_for("every pod ready again", lambda: not misplaced(kube, services), timeout=300)
