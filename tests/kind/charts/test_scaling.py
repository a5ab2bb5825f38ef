"""`kubectl scale` of a service to 2 and then 4 replicas on kind: the Service (kube-proxy) spreads requests sent from a
pod on the load node to its DNS name over every replica, so each pod's own request counter grows."""

from __future__ import annotations

import pytest

from tests.kind.charts.releases import Kube, run_pod

DEPLOYMENT = "observatory-services-fastapi-uvicorn"
IMAGE = "observatory/fastapi:dev"  # its Python sends the requests (urllib: one connection each, so each is balanced)
REQUESTS_PER_REPLICA = 50
SENDER = """
import sys, urllib.request
url, count = sys.argv[1], int(sys.argv[2])
for _ in range(count):
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, response.status
print(f"sent {count} requests to {url}")
"""


def json_requests(metrics: str) -> float:
    """The pod's own count of answered GET /json requests (observatory_http_requests_total)."""
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("observatory_http_requests_total{") and 'route="/json"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def counters(kube: Kube, namespace: str) -> dict[str, float]:
    """{pod: its /json counter} for every running pod of the Deployment, read through the API server's pod proxy."""
    deployment = kube.json("-n", namespace, "get", "deployment", DEPLOYMENT)
    selector = ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items())
    pods = [p for p in kube.pods(namespace, selector) if not p["metadata"].get("deletionTimestamp")]
    return {
        pod["metadata"]["name"]: json_requests(
            kube.run(
                "get", "--raw", f"/api/v1/namespaces/{namespace}/pods/{pod['metadata']['name']}:8000/proxy/metrics"
            )
        )
        for pod in pods
    }


def grown(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {pod: after[pod] - before.get(pod, 0.0) for pod in after}


@pytest.mark.timeout(1200)
def test_scaling_to_2_and_4_replicas_spreads_requests_over_every_pod(kube: Kube, services: str) -> None:
    try:
        for replicas in (2, 4):
            kube.run("-n", services, "scale", f"deployment/{DEPLOYMENT}", f"--replicas={replicas}")
            kube.run("-n", services, "rollout", "status", f"deployment/{DEPLOYMENT}", "--timeout=5m", timeout=330)
            before = counters(kube, services)
            assert len(before) == replicas, before
            count = REQUESTS_PER_REPLICA * replicas
            url = f"http://{DEPLOYMENT}:8000/json"
            log = run_pod(kube, services, f"sender-{replicas}", IMAGE, ["python", "-c", SENDER, url, str(count)])
            assert f"sent {count} requests" in log, log
            growth = grown(before, counters(kube, services))
            assert sum(growth.values()) >= count, growth
            assert all(g > 0 for g in growth.values()), f"{replicas} replicas, requests per pod: {growth}"
            print(f"{replicas} replicas: requests per pod {sorted(growth.values())}")
    finally:
        kube.run("-n", services, "scale", f"deployment/{DEPLOYMENT}", "--replicas=1")
        kube.run("-n", services, "rollout", "status", f"deployment/{DEPLOYMENT}", "--timeout=5m", timeout=330)


def test_growth_is_per_pod_and_a_pod_that_got_nothing_shows_zero() -> None:
    assert json_requests('observatory_http_requests_total{route="/json",status="200"} 7.0\n'
                         'observatory_http_requests_total{route="/db",status="200"} 5.0\n') == 7.0  # fmt: skip
    assert grown({"a": 3.0, "b": 1.0}, {"a": 10.0, "b": 1.0, "c": 2.0}) == {"a": 7.0, "b": 0.0, "c": 2.0}
