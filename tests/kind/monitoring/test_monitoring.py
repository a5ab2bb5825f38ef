"""The real prometheus-operator's scrape configuration of the project's ServiceMonitors and of the kubelet's cAdvisor,
and every dashboard query answered by the Prometheus it runs, after a real benchmark on the kind cluster.

Stand-ins, said once: kube-prometheus-stack's chart is not installed (its repository is on GitHub); what it would
install is, from the same values file (tests/kind/operators.py). Prometheus is v2.54.1 (the stack's) built from
source with only the Kubernetes service discovery.
Grafana is not run: the queries are sent to Prometheus as Grafana sends them, variables set to All.
"""

from __future__ import annotations

import math
import time

import pytest

from observatory import queries
from tests.kind import operators
from tests.kind.charts.releases import Kube
from tests.kind.dashboard_queries import dashboard_queries, substitute
from tests.kind.monitoring.conftest import Benchmark

# the package fixtures (images into the nodes, installs, a benchmark) run inside the first test's time
pytestmark = pytest.mark.timeout(2400)


def active_targets(kube: Kube) -> list[dict]:
    targets: list[dict] = operators.prometheus_api(kube, "/api/v1/targets", state="active")["activeTargets"]
    return targets


def test_the_operator_wrote_the_scrape_configuration_of_every_service_monitor(kube: Kube, benchmark: Benchmark) -> None:
    """One scrape pool per ServiceMonitor endpoint, named as the operator names them, every target up: the operator
    read the chart's ServiceMonitors (namespace kind-monitoring) and resolved their Services to the pods."""
    monitors = kube.json("-n", benchmark.namespace, "get", "servicemonitors")["items"]
    assert monitors, "the services chart installed no ServiceMonitor"
    config = operators.prometheus_api(kube, "/api/v1/status/config")["yaml"]
    targets = kube.wait_for(
        "every ServiceMonitor target scraped",
        lambda: (found := active_targets(kube)) and all(t["health"] != "unknown" for t in found) and found,
        timeout=120,
    )
    for monitor in monitors:
        name = monitor["metadata"]["name"]
        pool = f"serviceMonitor/{benchmark.namespace}/{name}/0"
        assert f"job_name: {pool}" in config, f"the operator wrote no scrape job for ServiceMonitor {name}"
        mine = [t for t in targets if t["scrapePool"] == pool]
        assert mine, f"ServiceMonitor {name}: no target in {sorted({t['scrapePool'] for t in targets})}"
        for target in mine:
            assert target["health"] == "up", f"{pool} {target['scrapeUrl']}: {target['lastError']}"
            assert target["labels"]["namespace"] == benchmark.namespace
            assert target["labels"]["pod"].startswith(name + "-")


def test_the_kubelets_cadvisor_is_scraped_on_every_node(kube: Kube, benchmark: Benchmark) -> None:
    """kube-prometheus-stack's kubelet ServiceMonitor: the operator keeps the kubelets' Endpoints (one per node) and
    Prometheus scrapes each kubelet's /metrics/cadvisor over HTTPS with its token."""
    nodes = {n["metadata"]["name"] for n in kube.json("get", "nodes")["items"]}
    pool = f"serviceMonitor/{operators.NAMESPACE}/{operators.KUBELET_SERVICE}/1"
    cadvisor = [t for t in active_targets(kube) if t["scrapePool"] == pool]
    assert {t["labels"].get("node") or t["labels"].get("instance") for t in cadvisor}, "no cAdvisor target"
    assert len(cadvisor) == len(nodes), f"{len(cadvisor)} cAdvisor targets for nodes {sorted(nodes)}"
    for target in cadvisor:
        assert target["health"] == "up", f"{target['scrapeUrl']}: {target['lastError']}"
        assert target["scrapeUrl"].endswith(":10250/metrics/cadvisor")


def test_every_service_pod_has_its_own_cpu_and_memory_from_cadvisor(kube: Kube, benchmark: Benchmark) -> None:
    """The per-pod CPU and memory queries of observatory/queries.py, one series per service pod of the namespace,
    with CPU used during the benchmark (the kubelet's cAdvisor, not the services' own process-tree collector)."""
    pods = {
        p["metadata"]["name"]
        for p in kube.pods(benchmark.namespace)
        if any(c["name"] == "service" for c in p["spec"]["containers"]) and p["status"].get("phase") == "Running"
    }
    assert pods, "no running service pod"
    window = max(30, math.ceil(benchmark.ended - benchmark.started))
    cpu = operators.query(kube, queries.container_cpu_cores(benchmark.namespace, ".*", f"{window}s"))
    memory = operators.query(kube, queries.container_memory(benchmark.namespace, ".*"))
    cpu_by_pod = {s["metric"]["pod"]: float(s["value"][1]) for s in cpu}
    memory_by_pod = {s["metric"]["pod"]: float(s["value"][1]) for s in memory}
    for pod in pods:
        assert cpu_by_pod.get(pod, 0) > 0, f"{pod}: no CPU from cAdvisor ({sorted(cpu_by_pod)})"
        assert memory_by_pod.get(pod, 0) > 1e6, f"{pod}: no working-set memory from cAdvisor ({sorted(memory_by_pod)})"


def test_every_dashboard_query_returns_data(kube: Kube, benchmark: Benchmark) -> None:
    """Every query of every dashboard, variables at All, over the benchmark's window: no panel is empty."""
    # one more scrape of every target after the last request (the scrape interval is 5 s)
    last = max(t["lastScrape"] for t in active_targets(kube))
    kube.wait_for("a scrape after the benchmark", lambda: max(t["lastScrape"] for t in active_targets(kube)) > last)
    end = time.time()
    range_s = math.ceil(end - benchmark.started) + 60
    empty = []
    answered = 0
    for q in dashboard_queries():
        series = operators.query_range(kube, substitute(q.expr, range_s), benchmark.started - 60, end)
        if not any(s.get("values") or s.get("histograms") for s in series):
            empty.append(str(q))
        else:
            answered += 1
    assert not empty, f"{len(empty)} of {answered + len(empty)} dashboard queries without data:\n" + "\n".join(empty)
