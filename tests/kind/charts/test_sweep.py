"""The scheduled benchmark for real on kind: the load chart installed beside the services' defaults, its CronJob run now
by charts/run-benchmark.sh (`kubectl create job --from=cronjob/...`), a second trigger refused while it runs, real k6
pods on the load node against the services' Services with the replica sweep 1 -> 2 -> 4 (sweep-values.yaml: a short
ladder), the summaries on the results claim, `observatory import-k6` reading them and the report drawing capacity
against replicas with what bounds it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
import yaml

from tests.kind.charts.releases import ROOT, Kube, binary, install

VALUES = Path(__file__).with_name("sweep-values.yaml")
CRONJOB = "observatory-load-scheduled"
JOB = "observatory-load-manual-kind"
RESULTS_CLAIM = "observatory-load-results"


@dataclass
class Sweep:
    namespace: str
    pod: dict  # the benchmark pod, finished
    second_trigger: subprocess.CompletedProcess[str]
    summaries: Path


def run_benchmark(kube: Kube, namespace: str, job: str) -> subprocess.CompletedProcess[str]:
    """charts/run-benchmark.sh, as the Tilt button runs it, against this cluster."""
    env = {
        **os.environ,
        "KUBECONFIG": kube.kubeconfig,
        "NAMESPACE": namespace,
        "JOB": job,
        "PATH": f"{Path(binary('kubectl')).parent}:{os.environ['PATH']}",
    }
    return subprocess.run(
        ["sh", str(ROOT / "charts" / "run-benchmark.sh")], capture_output=True, text=True, env=env, timeout=60
    )


def copy_results(kube: Kube, namespace: str, into: Path) -> Path:
    """The results claim's files, through a pod that mounts it (on the load node, where local-path keeps them)."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "results"},
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 12345,
                "runAsGroup": 12345,
                "fsGroup": 12345,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "volumes": [{"name": "r", "persistentVolumeClaim": {"claimName": RESULTS_CLAIM, "readOnly": True}}],
            "containers": [
                {
                    "name": "results",
                    "image": "grafana/k6:1.8.1",
                    "imagePullPolicy": "Never",
                    "command": ["sleep", "600"],
                    "volumeMounts": [{"name": "r", "mountPath": "/results", "readOnly": True}],
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "16Mi"},
                        "limits": {"cpu": "200m", "memory": "64Mi"},
                    },
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
    try:
        kube.run("-n", namespace, "wait", "--for=condition=Ready", "pod/results", "--timeout=120s", timeout=150)
        into.mkdir(parents=True, exist_ok=True)
        kube.run("-n", namespace, "cp", "results:/results", str(into), timeout=120)
    finally:
        kube.run("-n", namespace, "delete", "pod", "results", "--wait=false", check=False)
    return into


@pytest.fixture(scope="module")
def sweep(kube: Kube, services: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sweep]:
    """observatory-load with sweep-values.yaml in the services' namespace, its CronJob run once to the end."""
    install(kube, "observatory-load", services, VALUES, wait=False)
    try:
        assert kube.json("-n", services, "get", "cronjob", CRONJOB)["spec"]["concurrencyPolicy"] == "Forbid"
        # the schedule itself suspended, as charts/README.md says for manual runs: at 03:00 UTC it started a second
        # run beside the test's (a Job made from the CronJob is not counted by its Forbid)
        kube.run("-n", services, "patch", "cronjob", CRONJOB, "-p", '{"spec": {"suspend": true}}')
        first = run_benchmark(kube, services, JOB)
        assert first.returncode == 0, first.stdout + first.stderr

        # its pod exists and has not finished (Pending while its init containers, the steps, run)
        kube.wait_for(f"job {JOB}'s pod", lambda: kube.pods(services, f"job-name={JOB}"), timeout=300)
        second = run_benchmark(kube, services, f"{JOB}-second")
        assert kube.pods(services, f"job-name={JOB}")[0]["status"].get("phase") in ("Pending", "Running")

        def finished() -> dict | None:
            pod = kube.pods(services, f"job-name={JOB}")[0]
            return pod if pod["status"].get("phase") in ("Succeeded", "Failed") else None

        pod = kube.wait_for(f"job {JOB} to finish", finished, timeout=1500, every=10)
        summaries = copy_results(kube, services, tmp_path_factory.mktemp("sweep") / "results")
        yield Sweep(services, pod, second, summaries)
    finally:
        kube.helm("uninstall", "observatory-load", "-n", services, "--wait", check=False)
        kube.run("-n", services, "delete", "job", "--all", "--wait=true", check=False, timeout=180)
        kube.run("-n", services, "delete", "pvc", RESULTS_CLAIM, "--ignore-not-found", check=False, timeout=180)


def steps() -> list[str]:
    """The benchmark pod's containers in order, as the chart renders them with sweep-values.yaml."""
    from tests.cluster.rendering import Case, render

    cronjob = next(d for d in render(Case(ROOT / "charts" / "observatory-load", VALUES)) if d["kind"] == "CronJob")
    spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return [c["name"] for c in spec.get("initContainers", []) + spec["containers"]]


def benchmarks() -> list[dict]:
    return yaml.safe_load(VALUES.read_text())["benchmarks"]


@pytest.mark.timeout(2400)
def test_a_second_trigger_while_one_runs_is_refused(sweep: Sweep) -> None:
    assert sweep.second_trigger.returncode == 1, sweep.second_trigger.stdout
    assert f"job {JOB} " in sweep.second_trigger.stderr and "is running already" in sweep.second_trigger.stderr


@pytest.mark.timeout(2400)
def test_every_step_ran_in_order_on_the_load_node_and_completed(kube: Kube, sweep: Sweep) -> None:
    assert sweep.pod["status"]["phase"] == "Succeeded", sweep.pod["status"]
    assert kube.nodes_by_role()["load"] == sweep.pod["spec"]["nodeName"]
    statuses = sweep.pod["status"]["initContainerStatuses"] + sweep.pod["status"]["containerStatuses"]
    assert [s["name"] for s in statuses] == steps()
    failed = [(s["name"], s["state"]) for s in statuses if s["state"].get("terminated", {}).get("exitCode") != 0]
    assert not failed, failed
    logs = kube.run("-n", sweep.namespace, "logs", sweep.pod["metadata"]["name"], "--all-containers", "--prefix")
    assert "k6 exited" in logs  # every k6 step ran and said how k6 ended


@pytest.mark.timeout(2400)
def test_one_summary_per_rate_and_replica_count_on_the_results_claim(sweep: Sweep) -> None:
    pod = sweep.pod["metadata"]["name"]
    expected = {f"{pod}-r{n}-{b['name']}-{rate}.json" for n in (1, 2, 4) for b in benchmarks() for rate in b["rates"]}
    found = {p.name for p in sweep.summaries.rglob("*.json")}
    assert found == expected, sorted(found ^ expected)
    for path in sweep.summaries.rglob("*.json"):
        asked = json.loads(path.read_text())["observatory"]
        assert path.name.startswith(f"{pod}-r{asked['replicas']}-"), (path.name, asked.get("replicas"))
        assert asked["baseUrl"].startswith("http://observatory-services-")  # the Service, by its DNS name


@pytest.mark.timeout(2400)
def test_import_k6_reads_them_and_the_report_draws_capacity_against_replicas(sweep: Sweep, tmp_path: Path) -> None:
    observatory = str(ROOT / ".venv" / "bin" / "observatory")
    done = subprocess.run(
        [observatory, "import-k6", str(sweep.summaries), "--output", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    runs = sorted(tmp_path.glob("*/results.json"))
    assert len(runs) == 1, done.stdout
    results = json.loads(runs[0].read_text())
    assert results["settings"]["scaling_unit"] == "replicas"
    assert len(results["trials"]) == 3 * sum(len(b["rates"]) for b in benchmarks())
    counts = {(c["framework"], c["workers"]) for c in results["capacity"]}
    assert counts == {(b["framework"], n) for b in benchmarks() for n in (1, 2, 4)}, counts
    done = subprocess.run([observatory, "report", str(runs[0].parent)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = (runs[0].parent / "summary.md").read_text()
    html = unescape((runs[0].parent / "report.html").read_text())
    # what the capacities are depends on the host (not asserted); that the report says what bounds them does not
    assert "What bounds it: the benchmark's pods saw" in summary and "all nodes share the host's CPU" in summary, (
        summary
    )
    assert "all nodes share the host's CPU" in html
    print(summary)
