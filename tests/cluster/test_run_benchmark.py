"""charts/run-benchmark.sh (the Tilt UI's benchmark button) against a real API server: one benchmark at a time.

A Job made from a CronJob is not counted by the CronJob's `concurrencyPolicy: Forbid`, so the script checks for a
running benchmark pod itself. The control plane is tests/controlplane's (etcd, kube-apiserver, the controllers and
kwok's fake kubelets, built from source by `make controlplane`); the "running" benchmark is a pod no node can take,
so it stays Pending, as a benchmark pod does between its steps.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.rendering import ROOT, helm
from tests.controlplane.controlplane import ControlPlane, ControlPlaneError, missing_binaries

SCRIPT = ROOT / "charts" / "run-benchmark.sh"
NAMESPACE = "default"

RUNNING = """
apiVersion: v1
kind: Pod
metadata:
  name: observatory-load-older-x1
  labels: {observatory.dev/benchmark: scheduled, job-name: observatory-load-older}
spec:
  nodeSelector: {observatory.dev/role: nowhere}
  containers: [{name: k6, image: grafana/k6:1.8.1}]
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    missing = missing_binaries()
    if missing:
        pytest.fail(f"{', '.join(missing)} missing from .tools/bin: run `make controlplane` (or make setup)")
    try:
        with ControlPlane(tmp_path_factory.mktemp("controlplane")) as cp:
            rendered = cp.run(helm(), "template", "observatory-load", str(ROOT / "charts" / "observatory-load"))
            assert rendered.returncode == 0, rendered.stderr
            cronjob = rendered.stdout[rendered.stdout.index("kind: CronJob") :].split("\n---")[0]
            cp.kubectl("apply", "-n", NAMESPACE, "-f", "-", stdin="apiVersion: batch/v1\n" + cronjob)
            yield cp
    except ControlPlaneError as e:
        pytest.fail(f"the control plane did not start: {e}")


def run_script(cp: ControlPlane, job: str) -> subprocess.CompletedProcess:
    env = {**cp.env, "CONTEXT": "observatory", "NAMESPACE": NAMESPACE, "JOB": job}
    return subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60, cwd=Path("/"))


def test_it_refuses_while_a_benchmark_runs_and_starts_one_when_none_does(cluster: ControlPlane) -> None:
    cluster.kubectl("apply", "-n", NAMESPACE, "-f", "-", stdin=RUNNING)
    refused = run_script(cluster, "observatory-load-manual-1")
    assert refused.returncode == 1
    assert "observatory-load-older" in refused.stderr and "one benchmark at a time" in refused.stderr
    assert not cluster.kubectl_ok("get", "job", "-n", NAMESPACE, "observatory-load-manual-1")

    cluster.kubectl("delete", "pod", "-n", NAMESPACE, "observatory-load-older-x1", "--wait=true", "--grace-period=0")
    started = run_script(cluster, "observatory-load-manual-2")
    assert started.returncode == 0, started.stderr
    job = cluster.get_json("job", "-n", NAMESPACE, "observatory-load-manual-2")
    # the CronJob's Job: its template, its label (so the next click sees it), owned by the CronJob
    assert job["metadata"]["labels"]["observatory.dev/benchmark"] == "scheduled"
    assert job["metadata"]["ownerReferences"][0]["name"] == "observatory-load-scheduled"
    steps = job["spec"]["template"]["spec"]["initContainers"]
    assert steps[0]["name"] == "r1-fastapi-json-scale"


def test_it_says_so_when_the_cluster_is_unreachable(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: u, user: {token: x}}]\ncontexts: [{name: observatory, context: {cluster: c, user: u}}]\n"
        "current-context: observatory\n"
    )
    env = {"PATH": f"{ROOT / '.tools' / 'bin'}:/usr/bin:/bin", "KUBECONFIG": str(config), "CONTEXT": "observatory"}
    done = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert "cannot list the benchmark pods" in done.stderr
