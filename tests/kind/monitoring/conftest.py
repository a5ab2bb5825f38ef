"""Monitoring as kube-prometheus-stack does it, on the real kind cluster: prometheus-operator (built from source by
`make operators`) makes Prometheus and its scrape configuration from the ServiceMonitors; both charts installed in
namespace kind-monitoring, and the scheduled benchmark's sequence run once (its one-off Job, swept over 1 and 2
replicas), so every series the dashboards draw exists.

The stack's chart and its Grafana cannot be fetched here (GitHub, quay.io, docker.io): tests/kind/operators.py
installs what the chart would, from the user's values file, and says what stands in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.kind import operators
from tests.kind.charts.releases import Kube, chart_images_module, install

NAMESPACE = "kind-monitoring"
BENCHMARK_VALUES = Path(__file__).with_name("benchmark-values.yaml")
JOB = "observatory-load-benchmark"


@pytest.fixture(scope="package")
def kube(kind_cluster: Any) -> Kube:
    return Kube(str(kind_cluster.kubeconfig))


@pytest.fixture(scope="package")
def monitoring(kube: Kube, kind_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """prometheus-operator, its CRDs and RBAC, the Prometheus of the values file and the kubelet ServiceMonitor, in
    namespace monitoring; Prometheus's StatefulSet rolled out. Left installed (a cluster-wide service, like the stack)."""
    missing = operators.missing_builds()
    if missing:
        pytest.fail(f"the operators are not built ({', '.join(missing)}): run make operators")
    try:
        operators.install_prometheus_operator(kube, kind_cluster, tmp_path_factory.mktemp("monitoring"))
    except AssertionError as error:
        pytest.fail(f"prometheus-operator did not come up: {error}")
    return operators.NAMESPACE


def job_outcome(kube: Kube, namespace: str, name: str) -> str | None:
    """The Job's outcome, "Complete" or "Failed", once it has finished; None before."""
    for condition in kube.json("-n", namespace, "get", "job", name).get("status", {}).get("conditions", []):
        if condition["type"] in ("Complete", "Failed") and condition["status"] == "True":
            return str(condition["type"])
    return None


@dataclass(frozen=True)
class Benchmark:
    namespace: str
    started: float
    ended: float
    pod: str


@pytest.fixture(scope="package")
def benchmark(kube: Kube, kind_cluster: Any, monitoring: str) -> Iterator[Benchmark]:
    """Both charts in kind-monitoring (the services ready first), the one-off benchmark Job run to completion; the
    namespace is deleted after the folder's last test."""
    for image in chart_images_module().images():
        kind_cluster.load_image(image)
    namespace = kube.namespace(NAMESPACE)
    try:
        install(kube, "observatory-services", namespace)
        started = time.time()
        install(kube, "observatory-load", namespace, BENCHMARK_VALUES, wait=False)
        outcome = kube.wait_for(f"job {JOB}", lambda: job_outcome(kube, namespace, JOB), timeout=1500, every=5)
        ended = time.time()
        pod = kube.json("-n", namespace, "get", "pods", "-l", f"job-name={JOB}")["items"][0]["metadata"]["name"]
        if outcome != "Complete":
            log = kube.run("-n", namespace, "logs", pod, "--all-containers", "--prefix", "--tail=20", check=False)
            pytest.fail(f"the benchmark Job failed:\n{log[-3000:]}")
        yield Benchmark(namespace, started, ended, pod)
    finally:
        kube.delete_namespace(namespace)
