"""Scraping as the cluster scrapes: a Prometheus configured from the ServiceMonitors (port name, path, interval,
honorLabels, relabelings) scrapes the service containers, and every query of the comparison dashboard returns data
from it once the scheduled benchmark has run (k6 remote-writes to it; a cAdvisor stand-in gives container CPU and
memory)."""

from __future__ import annotations

import json
import re
import time
import urllib.request

from tests.containers.conftest import Benchmark, Cluster, query
from tests.containers.kube import ROOT

DASHBOARD = ROOT / "dashboards" / "framework-comparison.json"


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, expr) of every target of the dashboard, as Grafana sends them."""
    found: list[tuple[str, str]] = []

    def walk(panels: list[dict]) -> None:
        for panel in panels:
            walk(panel.get("panels", []))
            found.extend((panel.get("title", "?"), t["expr"]) for t in panel.get("targets", []) if t.get("expr"))

    walk(json.loads(DASHBOARD.read_text())["panels"])
    return found


def substitute(expr: str) -> str:
    """Every dashboard variable as "All" (.*), $__rate_interval as Grafana computes it for a 5 s scrape (4x)."""
    expr = expr.replace("$__rate_interval", "20s")
    return re.sub(r"\$\{?([A-Za-z_]+)\}?", ".*", expr)


def active_targets(cluster: Cluster) -> list[dict]:
    """Prometheus's active targets once every one has been scraped (or 20 s have passed)."""
    deadline = time.monotonic() + 20
    while True:
        with urllib.request.urlopen(f"{cluster.prometheus_url}/api/v1/targets", timeout=5) as response:
            active = json.load(response)["data"]["activeTargets"]
        if (active and all(t["health"] != "unknown" for t in active)) or time.monotonic() > deadline:
            return active
        time.sleep(1)


def test_targets_are_what_the_service_monitors_say(cluster: Cluster) -> None:
    active = active_targets(cluster)
    monitors = cluster.release.objects("ServiceMonitor")
    assert monitors
    for monitor in monitors:
        name = monitor["metadata"]["name"]
        endpoint = monitor["spec"]["endpoints"][0]
        targets = [t for t in active if t["scrapePool"] == f"serviceMonitor/default/{name}/0"]
        assert len(targets) == 1, (
            f"ServiceMonitor {name}: {len(targets)} targets in {[t['scrapePool'] for t in active]}"
        )
        target = targets[0]
        assert target["health"] == "up", f"ServiceMonitor {name}: {target['lastError']}"
        assert target["scrapeUrl"].endswith(f":8000{endpoint['path']}")
        assert target["labels"]["service"] == target["labels"]["job"] == name
        assert target["labels"]["pod"].startswith(name + "-")
        assert target["labels"]["endpoint"] == endpoint["port"]
        assert target["scrapeInterval"] == endpoint["interval"]


def test_every_comparison_dashboard_query_returns_data(cluster: Cluster, benchmark: Benchmark) -> None:
    time.sleep(6)  # one more scrape and one more cAdvisor stand-in sample after the benchmark
    empty = []
    for title, expr in dashboard_queries():
        series = query(cluster.prometheus_url, substitute(expr), benchmark.started, time.time())
        if not series:
            empty.append(f"{title}: {expr}")
    assert not empty, "queries without data:\n" + "\n".join(empty)


def test_series_carry_the_services_own_labels(cluster: Cluster, benchmark: Benchmark) -> None:
    """honorLabels: the services' framework and profile labels are kept, one series set per framework."""
    series = query(
        cluster.prometheus_url,
        "sum by (framework, profile, pod) (observatory_http_requests_total)",
        benchmark.started,
        time.time(),
    )
    frameworks = {s["metric"].get("framework") for s in series}
    assert {"fastapi", "flask", "django"} <= frameworks, frameworks
    assert all(s["metric"].get("pod") for s in series)
