"""Both charts installed as a user installs them, with `helm install --wait`, for the defaults and every ci/ values
file, each into its own namespace where the API server enforces Pod Security "restricted"; then checked, upgraded
with the same values and uninstalled."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import yaml

from tests.cluster.rendering import CASES, Case
from tests.controlplane.conftest import ROOT, ScheduledRelease, render, restricted_namespace
from tests.controlplane.controlplane import BIN, ROLE_LABEL, ControlPlane, misplaced

# Installs run side by side (each in its own namespace); the 2-core machine is the limit, not the API server.
PARALLEL_INSTALLS = 4
HELM_TIMEOUT = "150s"
# In a namespace after uninstall, these are the namespace's own, not the release's.
NAMESPACE_OWN = {("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt")}


def namespace_of(case: Case) -> str:
    chart = case.chart.name.removeprefix("observatory-")
    return f"{chart}-{case.values.stem.removesuffix('-values') if case.values else 'defaults'}"


@dataclass
class Installed:
    case: Case
    namespace: str
    returncode: int
    output: str
    seconds: float


@pytest.fixture(scope="module")
def installs(
    control_plane: ControlPlane, helm: str, crds: None, scheduled_releases: dict[str, ScheduledRelease]
) -> dict[str, Installed]:
    """Every case installed with `helm install --wait --wait-for-jobs`, side by side (after the release whose
    CronJob test_schedule.py watches, so that its minutes pass meanwhile)."""

    def install(case: Case) -> Installed:
        ns = restricted_namespace(control_plane, namespace_of(case))
        start = time.monotonic()
        done = control_plane.run(
            helm, "install", case.release, str(case.chart), "--namespace", ns, *values_args(case),
            "--wait", "--wait-for-jobs", "--timeout", HELM_TIMEOUT, timeout=200,
        )  # fmt: skip
        output = done.stdout + done.stderr
        if done.returncode != 0:  # what was still waiting, for the failure message
            state = control_plane.run(str(BIN / "kubectl"), "-n", ns, "get", "pods,pvc,deployments,statefulsets,jobs",
                                      "-o", "wide")  # fmt: skip
            events = control_plane.run(str(BIN / "kubectl"), "-n", ns, "get", "events", "--sort-by=.lastTimestamp")
            output += f"\n{state.stdout}{state.stderr}\n{events.stdout[-3000:]}"
        return Installed(case, ns, done.returncode, output, time.monotonic() - start)

    with ThreadPoolExecutor(PARALLEL_INSTALLS) as pool:
        done = list(pool.map(install, CASES))
    for one in done:
        print(f"helm install {one.case.id}: {one.seconds:.1f} s")
    return {one.case.id: one for one in done}


def values_args(case: Case) -> list[str]:
    return ["--values", str(case.values)] if case.values else []


def rendered(helm: str, cp: ControlPlane, case: Case, ns: str) -> list[dict]:
    text = render(helm, cp, case.release, case.chart, "--namespace", ns, *values_args(case))
    return [doc for doc in yaml.safe_load_all(text) if doc]


def chart_node_role(case: Case) -> str:
    """The node role the chart places its pods on: its nodeSelector, with the values file applied."""
    values = yaml.safe_load((case.chart / "values.yaml").read_text())
    if case.values:
        values.update(yaml.safe_load(case.values.read_text()) or {})
    return values["nodeSelector"][ROLE_LABEL]


def pods(cp: ControlPlane, ns: str) -> list[dict]:
    return cp.get_json("pods", "-n", ns)["items"]


def trigger_scheduled(cp: ControlPlane, release: str, ns: str, job: str) -> dict:
    """Run the CronJob now, as the README and the Tiltfile's benchmark button do, and wait for its Job."""
    cp.kubectl("-n", ns, "create", "job", f"--from=cronjob/{release}-scheduled", job)
    cp.kubectl("-n", ns, "wait", "--for=condition=Complete", "--timeout=90s", f"job/{job}", timeout=100)
    return cp.get_json("job", job, "-n", ns)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_install_succeeds_without_pod_security_warnings(installs: dict[str, Installed], case: Case) -> None:
    one = installs[case.id]
    assert one.returncode == 0, one.output
    # the namespaces warn about what "restricted" forbids, for the pod templates of Deployments and CronJobs too
    assert "PodSecurity" not in one.output and "would violate" not in one.output, one.output


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_pod_admitted_on_its_node(
    installs: dict[str, Installed], control_plane: ControlPlane, helm: str, case: Case
) -> None:
    cp, ns = control_plane, installs[case.id].namespace
    objects = rendered(helm, cp, case, ns)
    kinds = {doc["kind"] for doc in objects}
    if "CronJob" in kinds:
        job = trigger_scheduled(cp, case.release, ns, "manual-check")
        assert job["status"].get("succeeded") == 1, job["status"]
    all_pods = pods(cp, ns)
    if "TestRun" in kinds:
        # k6-operator is not installed: its runner pods are what it would create from the TestRuns' runner spec
        testruns = cp.get_json("testruns.k6.io", "-n", ns)["items"]
        assert len(testruns) == sum(doc["kind"] == "TestRun" for doc in objects) > 0
        for testrun in testruns:
            assert testrun["spec"]["runner"]["nodeSelector"] == {ROLE_LABEL: chart_node_role(case)}
        assert all_pods == []
        return
    assert all_pods, f"no pod in {ns}"
    # every pod the workloads wanted exists: no controller was refused a pod by admission
    refused = [e["message"] for e in cp.get_json("events", "-n", ns)["items"] if e["reason"] == "FailedCreate"]
    assert refused == []
    expected = 0
    for doc in objects:
        if doc["kind"] in ("Deployment", "StatefulSet"):
            expected += doc["spec"].get("replicas", 1)
        elif doc["kind"] in ("Job", "CronJob"):
            expected += 1
    assert len(all_pods) == expected, [p["metadata"]["name"] for p in all_pods]
    not_running = [p["metadata"]["name"] for p in all_pods if p["status"].get("phase") not in ("Running", "Succeeded")]
    assert not_running == []
    assert misplaced(all_pods, control_plane.nodes, chart_node_role(case)) == []


def test_placement_check_catches_a_pod_on_the_wrong_node(
    installs: dict[str, Installed], control_plane: ControlPlane
) -> None:
    """Seeded fault: the services' pods, checked against the load role, are all reported."""
    services = next(one for one in installs.values() if one.case.id == "observatory-services:defaults")
    service_pods = pods(control_plane, services.namespace)
    assert service_pods
    assert len(misplaced(service_pods, control_plane.nodes, "load")) == len(service_pods)
    assert misplaced(service_pods, control_plane.nodes, "services") == []


def test_restricted_namespaces_reject_what_the_charts_avoid(
    installs: dict[str, Installed], control_plane: ControlPlane, helm: str
) -> None:
    """Seeded fault: a service pod without the charts' security context is refused where the charts were admitted."""
    case = next(c for c in CASES if c.id == "observatory-services:defaults")
    ns = installs[case.id].namespace
    deployment = next(doc for doc in rendered(helm, control_plane, case, ns) if doc["kind"] == "Deployment")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "without-security-context", "namespace": ns},
           "spec": json.loads(json.dumps(deployment["spec"]["template"]["spec"]))}  # fmt: skip
    for container in pod["spec"]["containers"]:
        container.pop("securityContext")
    done = control_plane.run(str(BIN / "kubectl"), "apply", "-f", "-", stdin=json.dumps(pod))
    assert done.returncode != 0
    assert 'violates PodSecurity "restricted:latest"' in done.stderr, done.stderr


def snapshot(cp: ControlPlane, ns: str) -> dict[str, str]:
    """Every object of the namespace as kind/name -> its generation (objects with a spec the controllers act on) or
    its resourceVersion (the rest); events and Helm's release records are left out."""
    types = cp.kubectl("api-resources", "--namespaced", "--verbs=list", "-o", "name").split()
    types = [t for t in types if t not in ("events", "events.events.k8s.io")]
    items = cp.get_json(",".join(types), "-n", ns)["items"]
    state = {}
    for item in items:
        meta = item["metadata"]
        if meta.get("labels", {}).get("owner") == "helm":
            continue
        key = f"{item['kind']}/{meta['name']}"
        state[key] = f"generation {meta['generation']}" if "generation" in meta else meta["resourceVersion"]
        if item["kind"] == "Pod":
            state[key] += f" uid {meta['uid']}"
    return state


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_upgrade_with_the_same_values_changes_nothing(
    installs: dict[str, Installed], control_plane: ControlPlane, helm: str, case: Case
) -> None:
    ns = installs[case.id].namespace
    assert installs[case.id].returncode == 0, "not installed"
    before = snapshot(control_plane, ns)
    done = control_plane.run(
        helm, "upgrade", case.release, str(case.chart), "--namespace", ns, *values_args(case),
        "--wait", "--wait-for-jobs", "--timeout", HELM_TIMEOUT, timeout=200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = snapshot(control_plane, ns)
    changed = {k: (before.get(k), after.get(k)) for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {}


def test_upgrade_check_sees_a_change(installs: dict[str, Installed], control_plane: ControlPlane, helm: str) -> None:
    """Seeded fault: an upgrade that does change a value shows up in the snapshot (a new Deployment generation)."""
    case = next(c for c in CASES if c.id == "observatory-services:defaults")
    ns = installs[case.id].namespace
    before = snapshot(control_plane, ns)
    done = control_plane.run(
        helm, "upgrade", case.release, str(case.chart), "--namespace", ns, "--reuse-values",
        "--set", "services.fastapi-uvicorn.workers=3", "--wait", "--timeout", HELM_TIMEOUT, timeout=200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    after = snapshot(control_plane, ns)
    assert (
        before["Deployment/observatory-services-fastapi-uvicorn"]
        != after["Deployment/observatory-services-fastapi-uvicorn"]
    )
    assert (
        before["Deployment/observatory-services-flask-gunicorn-sync"]
        == after["Deployment/observatory-services-flask-gunicorn-sync"]
    )


def kept_by_design(objects: list[dict], release: str) -> set[tuple[str, str]]:
    """What outlives `helm uninstall`: objects annotated helm.sh/resource-policy: keep, and the PVCs of
    StatefulSet volumeClaimTemplates (Kubernetes keeps them unless the StatefulSet's retention policy deletes them)."""
    kept = set()
    for doc in objects:
        if doc["metadata"].get("annotations", {}).get("helm.sh/resource-policy") == "keep":
            kept.add((doc["kind"], doc["metadata"]["name"]))
        if doc["kind"] == "StatefulSet":
            policy = doc["spec"].get("persistentVolumeClaimRetentionPolicy", {}).get("whenDeleted", "Retain")
            if policy == "Retain":
                for template in doc["spec"].get("volumeClaimTemplates", []):
                    for i in range(doc["spec"].get("replicas", 1)):
                        kept.add(
                            ("PersistentVolumeClaim", f"{template['metadata']['name']}-{doc['metadata']['name']}-{i}")
                        )
    return kept


def leftovers(cp: ControlPlane, ns: str) -> set[tuple[str, str]]:
    types = cp.kubectl("api-resources", "--namespaced", "--verbs=list", "-o", "name").split()
    types = [t for t in types if t not in ("events", "events.events.k8s.io")]
    items = cp.get_json(",".join(types), "-n", ns)["items"]
    return {(i["kind"], i["metadata"]["name"]) for i in items} - NAMESPACE_OWN


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_uninstall_leaves_only_what_the_readme_says_is_kept(
    installs: dict[str, Installed], control_plane: ControlPlane, helm: str, case: Case
) -> None:
    ns = installs[case.id].namespace
    assert installs[case.id].returncode == 0, "not installed"
    kept = kept_by_design(rendered(helm, control_plane, case, ns), case.release)
    readme = (ROOT / "charts" / "README.md").read_text()
    undocumented = sorted(name for _, name in kept if name not in readme)
    assert undocumented == [], "charts/README.md must say what helm uninstall keeps"
    done = control_plane.run(helm, "uninstall", case.release, "--namespace", ns, "--wait", "--timeout", "60s")
    assert done.returncode == 0, done.stderr
    # Jobs made from the CronJob and their pods go with it through the garbage collector, a moment later
    deadline = time.monotonic() + 30
    while (left := leftovers(control_plane, ns)) != kept and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == kept
