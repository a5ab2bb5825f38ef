"""The services chart installed with helm on the real kind cluster, for its defaults and every ci/ values file that
renders something else: every pod Ready on the node its observatory.dev/role names (Pod Security "restricted"
enforced by the API server), each service passing the conformance smoke through its Service (kubectl port-forward on
127.0.0.1), serving its request counters and logging no error at start; with the collector on, traces reach it."""

from __future__ import annotations

import re
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from tests.cluster.rendering import CASES, Case, render
from tests.kind.charts.conftest import servicemonitor_crd
from tests.kind.charts.releases import Kube, install, misplaced, port_forward

# The conformance cases (tests/services/test_conformance.py) the smoke sends: every route once, and the errors.
SMOKE = {
    "json", "plaintext", "db", "queries-2", "updates-2", "fortunes", "user", "create", "malformed",
    "missing-field", "unknown-path", "io", "cpu", "live", "ready",
}  # fmt: skip
START_ERRORS = re.compile(r"\bERROR\b|\bCRITICAL\b|\bFATAL\b|\bPANIC\b|Traceback \(most recent call last\)")
FRAMEWORK_LABEL = "observatory.dev/framework"


def services_of(kube: Kube, namespace: str) -> list[dict]:
    """The release's framework Services (one per enabled service)."""
    return [
        s for s in kube.json("-n", namespace, "get", "services")["items"] if FRAMEWORK_LABEL in s["metadata"]["labels"]
    ]


def smoke(url: str, framework: str, contract: dict) -> list[str]:
    """The conformance smoke against one base URL; one line per failed case."""
    from tests.services.test_conformance import CASES as CONFORMANCE
    from tests.services.test_conformance import check_body, check_headers, send

    baseline = framework.startswith("baseline")
    schemas = contract["components"]["schemas"]
    failures = []
    for case in CONFORMANCE:
        if case.id not in SMOKE or (baseline and not case.on_baselines):
            continue
        try:
            response = send(SimpleNamespace(url=url), case)  # type: ignore[arg-type]
            assert response.status_code == case.status, f"status {response.status_code}, wanted {case.status}"
            check_headers(response, case)
            check_body(response, case, schemas)
        except (AssertionError, httpx.HTTPError) as error:
            failures.append(f"{case.id} ({case.method} {case.path[:40]}): {error}")
    return failures


def start_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if START_ERRORS.search(line)]


def check_release(kube: Kube, namespace: str, contract: dict) -> None:
    """Placement and readiness, the smoke and /metrics through each Service, clean start-up logs, traces."""
    assert not misplaced(kube, namespace), misplaced(kube, namespace)
    services = services_of(kube, namespace)
    assert services, f"no framework Service in {namespace}"
    failures = []
    for service in services:
        name = service["metadata"]["name"]
        framework = service["metadata"]["labels"][FRAMEWORK_LABEL]
        with port_forward(kube, namespace, f"service/{name}", 8000) as url:
            failures += [f"{name}: {line}" for line in smoke(url, framework, contract)]
            metrics = httpx.get(f"{url}/metrics", timeout=10).text
        deployment = kube.json("-n", namespace, "get", "deployment", name)
        env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        if env.get("OBSERVATORY_INSTRUMENTATION") != "off" and "observatory_http_requests_total{" not in metrics:
            failures.append(f"{name}: /metrics has no observatory_http_requests_total")
    for pod in kube.pods(namespace):
        for container in pod["spec"]["containers"]:
            log = kube.run("-n", namespace, "logs", pod["metadata"]["name"], "-c", container["name"])
            failures += [
                f"{pod['metadata']['name']}/{container['name']} logged: {line}" for line in start_errors(log)[:5]
            ]
    assert not failures, "\n".join(failures)
    collectors = kube.pods(namespace, "app.kubernetes.io/component=otel-collector")
    for pod in collectors:
        logs = lambda pod=pod: kube.run("-n", namespace, "logs", pod["metadata"]["name"])  # noqa: E731
        kube.wait_for(f"traces at {pod['metadata']['name']}", lambda logs=logs: "traces received" in logs(), timeout=60)


def masked(docs: list[dict]) -> str:
    """The rendering without what changes between two renders (generated passwords, checksums)."""
    return re.sub(r"'password': '[^']*'|'checksum/[a-z]+': '[0-9a-f]+'", "", repr(docs))


def differing_cases() -> list[Case]:
    """The services chart's ci/ files whose rendering is not the defaults' (ci/default-values.yaml is `{}`: the
    defaults run in the package's `services` release)."""
    cases = [c for c in CASES if c.chart.name == "observatory-services"]
    defaults = masked(render(next(c for c in cases if c.values is None)))
    return [c for c in cases if c.values is not None and masked(render(c)) != defaults]


@pytest.mark.timeout(1200)
def test_the_defaults_are_ready_on_their_nodes_and_pass_the_smoke(kube: Kube, services: str, contract: dict) -> None:
    frameworks = {s["metadata"]["labels"][FRAMEWORK_LABEL] for s in services_of(kube, services)}
    assert frameworks == {"fastapi", "flask", "django"}
    check_release(kube, services, contract)


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("case", differing_cases(), ids=lambda c: c.values.stem if c.values else "defaults")
def test_every_ci_values_file_is_ready_on_its_nodes_and_passes_the_smoke(
    kube: Kube, chart_images: list[str], case: Case, contract: dict
) -> None:
    assert case.values is not None
    servicemonitor_crd(kube)
    namespace = kube.namespace(f"kind-services-{case.values.stem.removesuffix('-values')}")
    try:
        install(kube, "observatory-services", namespace, Path(case.values))
        started = time.monotonic()
        check_release(kube, namespace, contract)
        print(f"{case.values.name}: checked in {time.monotonic() - started:.0f} s")
    finally:
        kube.delete_namespace(namespace)


def test_the_start_up_log_rule_catches_what_the_flask_image_logged() -> None:
    logged = "[2026-11-28 04:46:27 +0000] [1] [ERROR] Control server error: [Errno 30] Read-only file system"
    assert start_errors(logged) == [logged]
    assert start_errors("Traceback (most recent call last):")
    assert not start_errors("[2026-11-28 04:46:27 +0000] [1] [INFO] Booting worker with pid: 7")
    assert not start_errors('{"error": "not_found"}')  # an error body in a response is not a log error
