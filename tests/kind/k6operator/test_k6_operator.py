"""Distributed load through the real k6-operator (built from its Go module source at K6_OPERATOR_VERSION): the load
chart's TestRun with two runners on the load node against the services' Service, the runners' summaries on the
results volume, `observatory import-k6` merging them into one trial whose request count is the services' own.

Stand-ins, said once: the operator's starter image (curlimages/curl upstream) cannot be pulled here, so a `curl` of
the options the starter uses stands in (tools/operators/images/k6-starter); the initializer runs the runner's image
(the k6 stand-in of `make images`); the bundle's kube-rbac-proxy sidecar is left out (tests/kind/operators.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from service_common import metric_names
from tests.kind import operators
from tests.kind.charts.releases import ROLE_LABEL, Kube, chart_images_module, install

# the package fixtures (images into the nodes, installs, a benchmark) run inside the first test's time
pytestmark = pytest.mark.timeout(1800)

NAMESPACE = "kind-k6-operator"
VALUES = Path(__file__).with_name("testrun-values.yaml")
SETTINGS = yaml.safe_load(VALUES.read_text())
BENCHMARK = next(b for b in SETTINGS["benchmarks"] if b["name"] == SETTINGS["testRun"]["benchmark"])
SERVICE = f"observatory-services-{BENCHMARK['service']}"
TESTRUN = f"observatory-load-{BENCHMARK['name']}-{SETTINGS['testRun']['rate']}"
ROUTE = "/json"  # the json workload's one route (loadtests/lib/workloads.js)


@pytest.fixture(scope="module")
def kube(kind_cluster: Any) -> Kube:
    return Kube(str(kind_cluster.kubeconfig))


def served(kube: Kube, namespace: str) -> dict[str, float]:
    """Each service pod's own count of requests to the workload's route, read from its /metrics (API server proxy)."""
    counts = {}
    pattern = re.compile(rf"^{metric_names.REQUESTS_TOTAL}\{{([^}}]*)\}} ([0-9.e+]+)$", re.M)
    for pod in kube.pods(namespace, f"app.kubernetes.io/component={BENCHMARK['service']}"):
        name = pod["metadata"]["name"]
        text = kube.run("get", "--raw", f"/api/v1/namespaces/{namespace}/pods/{name}:8000/proxy/metrics")
        counts[name] = sum(float(v) for labels, v in pattern.findall(text) if f'route="{ROUTE}"' in labels)
    assert counts, f"no pod of {SERVICE}"
    return counts


@dataclass(frozen=True)
class Ran:
    namespace: str
    served: float
    testrun: dict[str, Any]
    summaries: Path


def stage_of_testrun(kube: Kube, namespace: str) -> str | None:
    stage = kube.json("-n", namespace, "get", "testrun", TESTRUN).get("status", {}).get("stage")
    return str(stage) if stage in ("finished", "error") else None


def copy_summaries(kube: Kube, namespace: str, dest: Path) -> Path:
    """The summaries on the results claim, copied out by a pod that mounts it (on the load node, where the claim is)."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "results-reader"},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "nodeSelector": {ROLE_LABEL: "load"},
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 12345,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "volumes": [{"name": "r", "persistentVolumeClaim": {"claimName": "observatory-load-results"}}],
            "containers": [
                {
                    "name": "reader",
                    "image": operators.BASE_IMAGE,
                    "imagePullPolicy": "Never",
                    "command": ["python3", "-c", "import time; time.sleep(600)"],
                    "volumeMounts": [{"name": "r", "mountPath": "/results", "readOnly": True}],
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
    kube.run("-n", namespace, "apply", "-f", "-", stdin=json.dumps(pod))
    kube.run("-n", namespace, "wait", "--for=condition=Ready", "pod/results-reader", "--timeout=180s", timeout=200)
    names = kube.run("-n", namespace, "exec", "results-reader", "--", "python3", "-c",
                     "import os; print('\\n'.join(os.listdir('/results')))").split()  # fmt: skip
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name.endswith(".json"):
            (dest / name).write_text(
                kube.run("-n", namespace, "exec", "results-reader", "--", "cat", f"/results/{name}")
            )
    kube.run("-n", namespace, "delete", "pod", "results-reader", "--wait=false")
    return dest


@pytest.fixture(scope="module")
def ran(kube: Kube, kind_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ran]:
    missing = operators.missing_builds("k6-operator")
    if missing:
        pytest.fail(f"the operators are not built ({', '.join(missing)}): run make operators")
    for image in chart_images_module().images():
        kind_cluster.load_image(image)
    kind_cluster.load_image(operators.BASE_IMAGE)
    operators.install_k6_operator(kube, kind_cluster)
    namespace = kube.namespace(NAMESPACE)
    try:
        install(kube, "observatory-services", namespace)
        before = served(kube, namespace)
        install(kube, "observatory-load", namespace, VALUES, wait=False)
        stage = kube.wait_for(f"TestRun {TESTRUN}", lambda: stage_of_testrun(kube, namespace), timeout=900, every=5)
        testrun = kube.json("-n", namespace, "get", "testrun", TESTRUN)
        if stage != "finished":
            logs = kube.run("-n", namespace, "logs", "-l", f"k6_cr={TESTRUN}", "--all-containers", "--prefix",
                            "--tail=30", check=False)  # fmt: skip
            pytest.fail(f"TestRun {TESTRUN} ended in stage {stage}: {testrun.get('status')}\n{logs[-3000:]}")
        after = served(kube, namespace)
        delta = sum(after.values()) - sum(before.get(p, 0.0) for p in after)
        summaries = copy_summaries(kube, namespace, tmp_path_factory.mktemp("k6-summaries"))
        yield Ran(namespace, delta, testrun, summaries)
    finally:
        kube.delete_namespace(namespace)


def test_two_runners_ran_on_the_load_node(kube: Kube, ran: Ran) -> None:
    """The operator made `parallelism` runner pods (its runner label), each on the load node, each Succeeded."""
    runners = kube.pods(ran.namespace, f"k6_cr={TESTRUN},runner=true")
    assert len(runners) == SETTINGS["testRun"]["parallelism"], [p["metadata"]["name"] for p in runners]
    load_node = kube.nodes_by_role()["load"]
    for pod in runners:
        assert pod["spec"]["nodeName"] == load_node, f"{pod['metadata']['name']} ran on {pod['spec']['nodeName']}"
        # k6 exits 99 when a threshold of its share fails (the runner is k6 itself, not the CronJob's shell wrapper):
        # a measurement's verdict, not a broken run; anything else is
        (state,) = [c["state"] for c in pod["status"]["containerStatuses"]]
        code = state.get("terminated", {}).get("exitCode")
        assert code in (0, 99), f"{pod['metadata']['name']}: k6 exited {code} ({state})"


def test_each_runner_wrote_its_own_summary(ran: Ran) -> None:
    files = sorted(p.name for p in ran.summaries.glob(f"{TESTRUN}-*.json"))
    assert len(files) == SETTINGS["testRun"]["parallelism"], files
    for path in ran.summaries.glob(f"{TESTRUN}-*.json"):
        asked = json.loads(path.read_text())["observatory"]
        assert asked["testid"] == TESTRUN and asked["rate"] == SETTINGS["testRun"]["rate"]


def test_import_k6_merges_the_runners_into_one_trial_with_the_services_count(ran: Ran, tmp_path: Path) -> None:
    """One trial for the TestRun, and its request count is exactly what the services counted on the route."""
    out = tmp_path / "results"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("observatory")), "import-k6", str(ran.summaries), "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (results,) = list(out.glob("*/results.json"))
    trials = [t for t in json.loads(results.read_text())["trials"] if t["trial_id"] == TESTRUN]
    assert len(trials) == 1, f"{len(trials)} trials for {TESTRUN}: the runners' summaries were not merged"
    (trial,) = trials
    assert trial["client_requests"] == ran.served, (
        f"k6's runners sent {trial['client_requests']} requests, the services counted {ran.served:.0f} on {ROUTE}"
    )
    assert trial["offered_rate"] == SETTINGS["testRun"]["rate"]
