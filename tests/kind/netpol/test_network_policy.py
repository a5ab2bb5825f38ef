"""The services chart's NetworkPolicies enforced on the real kind cluster: kube-router (built from its Go module source,
run only as the NetworkPolicy controller beside the cluster's CNI) keeps a pod outside the allowed set from reaching
PostgreSQL, and lets the services' own pods (label observatory.dev/framework) through.

The cluster's CNI here is a kindnetd stand-in that enforces no policy (KIND-HERE.md); without kube-router the first
test would fail, which is what it checks first. kube-router is removed afterwards, its iptables rules and ipsets
cleaned on every node (`kube-router --cleanup-config`), so the other tests see the cluster as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.kind import operators
from tests.kind.charts.releases import ROLE_LABEL, Kube, chart_images_module, install

# the package fixtures (images into the nodes, installs, a benchmark) run inside the first test's time
pytestmark = pytest.mark.timeout(1200)

NAMESPACE = "kind-netpol"
POSTGRES = "observatory-services-postgresql"
CONNECT = (
    "import socket, sys\n"
    "try:\n"
    f"    socket.create_connection(('{POSTGRES}', 5432), timeout=5).close()\n"
    "except OSError as error:\n"
    "    print('blocked:', error); sys.exit(3)\n"
    "print('connected')\n"
)


def connect_from(kube: Kube, name: str, labels: dict[str, str]) -> str:
    """A pod with `labels` on the load node tries a TCP connection to PostgreSQL: "connected" or "blocked"."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "nodeSelector": {ROLE_LABEL: "load"},
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "connect",
                    "image": operators.BASE_IMAGE,
                    "imagePullPolicy": "Never",
                    "command": ["python3", "-c", CONNECT],
                    "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    }
    kube.run("-n", NAMESPACE, "delete", "pod", name, "--ignore-not-found", "--wait=true")
    kube.run("-n", NAMESPACE, "apply", "-f", "-", stdin=json.dumps(pod))

    def finished() -> str | None:
        phase = kube.json("-n", NAMESPACE, "get", "pod", name)["status"].get("phase")
        return phase if phase in ("Succeeded", "Failed") else None

    kube.wait_for(f"pod {name}", finished, timeout=180)
    log = kube.run("-n", NAMESPACE, "logs", name, check=False)
    kube.run("-n", NAMESPACE, "delete", "pod", name, "--wait=false", check=False)
    return "connected" if "connected" in log else "blocked" if "blocked" in log else f"unknown: {log[-300:]}"


def cleanup_kube_router(kube: Kube) -> None:
    """Delete the DaemonSet, then run `kube-router --cleanup-config` once on every node (privileged, host network)."""
    kube.run(
        "-n", "kube-system", "delete", "daemonset", "kube-router", "--ignore-not-found", "--wait=true", check=False
    )
    for node in kube.json("get", "nodes")["items"]:
        name = f"kube-router-cleanup-{node['metadata']['name']}"[:63]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "kube-system"},
            "spec": {
                "restartPolicy": "Never",
                "hostNetwork": True,
                "nodeName": node["metadata"]["name"],
                "tolerations": [{"operator": "Exists"}],
                "containers": [
                    {
                        "name": "cleanup",
                        "image": operators.KUBE_ROUTER_IMAGE,
                        "imagePullPolicy": "Never",
                        "args": ["--cleanup-config"],
                        "securityContext": {"privileged": True},
                        "volumeMounts": [{"name": "xtables-lock", "mountPath": "/run/xtables.lock"}],
                    }
                ],
                "volumes": [
                    {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}}
                ],
            },
        }
        kube.run("apply", "-f", "-", stdin=json.dumps(pod), check=False)
        kube.wait_for(
            f"{name} done",
            lambda n=name: (
                kube.json("-n", "kube-system", "get", "pod", n)["status"].get("phase") in ("Succeeded", "Failed")
            ),
            timeout=180,
        )
        kube.run("-n", "kube-system", "delete", "pod", name, "--wait=false", check=False)


@pytest.fixture(scope="module")
def kube(kind_cluster: Any) -> Kube:
    return Kube(str(kind_cluster.kubeconfig))


@pytest.fixture(scope="module")
def database(kube: Kube, kind_cluster: Any) -> Iterator[str]:
    if not (operators.OPERATORS / "bin" / "kube-router").is_file():
        pytest.fail("kube-router is not built: run make operators operator-images")
    for image in chart_images_module().images():
        kind_cluster.load_image(image)
    kind_cluster.load_image(operators.BASE_IMAGE)
    namespace = kube.namespace(NAMESPACE)
    try:
        install(kube, "observatory-services", namespace)
        yield namespace
    finally:
        kube.delete_namespace(namespace)


@pytest.fixture(scope="module")
def enforced(kube: Kube, kind_cluster: Any, database: str) -> Iterator[None]:
    try:
        operators.install_kube_router(kube, kind_cluster)
        # kube-router syncs the policies once it has listed them; wait until an outsider is blocked (or fail)
        kube.wait_for(
            "kube-router enforcing", lambda: connect_from(kube, "outsider-probe", {}) == "blocked", timeout=240
        )
        yield
    finally:
        cleanup_kube_router(kube)


def test_without_an_enforcing_controller_the_policy_is_only_text(kube: Kube, database: str) -> None:
    """The CNI stand-in enforces nothing: the outsider reaches PostgreSQL (so the next test can fail)."""
    if kube.json("-n", "kube-system", "get", "daemonsets")["items"] and any(
        d["metadata"]["name"] == "kube-router" for d in kube.json("-n", "kube-system", "get", "daemonsets")["items"]
    ):
        pytest.fail("kube-router is already installed: a previous run did not clean up")
    assert connect_from(kube, "outsider-before", {}) == "connected"


def test_a_pod_outside_the_allowed_set_cannot_reach_postgresql(kube: Kube, enforced: None) -> None:
    assert connect_from(kube, "outsider", {"app.kubernetes.io/part-of": "observatory-tests"}) == "blocked"


def test_a_service_pod_can(kube: Kube, enforced: None) -> None:
    """The policy's allowed set: pods labelled observatory.dev/framework (the services) in the release's namespace."""
    assert connect_from(kube, "insider", {"observatory.dev/framework": "probe"}) == "connected"
