"""Every Deployment and StatefulSet of the services chart, rendered with its defaults and with every ci/ values
file, runs its pod in podman as Kubernetes would (tests/containers/kube.py): it becomes ready by its own probes
against the chart's PostgreSQL, passes a conformance smoke, serves metrics and logs no error at start."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.containers.conftest import Cluster, start_release
from tests.containers.kube import ROOT, Pod, PodFailure, podman_path, release, render

CI_VALUES = sorted((ROOT / "charts" / "observatory-services" / "ci").glob("*.yaml"))
# The conformance cases (tests/services/test_conformance.py) the smoke sends: every route once, and the errors.
SMOKE = {
    "json", "plaintext", "db", "queries-2", "updates-2", "fortunes", "user", "create", "malformed",
    "missing-field", "unknown-path", "io", "cpu", "live", "ready",
}  # fmt: skip
START_ERRORS = re.compile(r"\bERROR\b|\bCRITICAL\b|\bFATAL\b|\bPANIC\b|Traceback \(most recent call last\)")


def env_of(pod: Pod, name: str) -> str | None:
    container = pod.containers[0]
    return next((e.get("value") for e in container.spec.get("env", []) if e["name"] == name), None)


def check_service(pod: Pod, contract: dict) -> None:
    """Conformance smoke, /metrics as the ServiceMonitor scrapes it, and a clean start-up log."""
    from tests.services.test_conformance import CASES, check_body, check_headers, send

    container = pod.containers[0]
    url = f"http://{pod.ip}:{container.port('http')}"
    baseline = pod.labels.get("observatory.dev/framework", "").startswith("baseline")
    schemas = contract["components"]["schemas"]
    for case in CASES:
        if case.id not in SMOKE or (baseline and not case.on_baselines):
            continue
        try:
            response = send(SimpleNamespace(url=url), case)  # type: ignore[arg-type]
            assert response.status_code == case.status, f"status {response.status_code}, wanted {case.status}"
            check_headers(response, case)
            check_body(response, case, schemas)
        except (AssertionError, OSError) as error:
            raise container.fail(f"conformance smoke {case.id} ({case.method} {case.path[:40]})", str(error)) from None
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    if env_of(pod, "OBSERVATORY_INSTRUMENTATION") != "off" and "observatory_http_requests_total{" not in metrics:
        raise container.fail("metrics", f"/metrics has no observatory_http_requests_total:\n{metrics[:400]}")


def check_logs(pod: Pod) -> None:
    for container in pod.containers:
        logs = container.logs()
        bad = [line for line in logs.splitlines() if START_ERRORS.search(line)]
        if bad:
            raise container.fail("start-up log", "logged an error:\n" + "\n".join(bad[:10]))


def check_probes(pod: Pod) -> None:
    """Liveness held too, and every probe was actually run."""
    if pod.events:
        raise PodFailure(pod.name, "-", "probes", pod.events[0])
    for container in pod.containers:
        for probe in container.probes:
            if probe.kind == "readiness" and probe.successes == 0:
                raise container.fail(f"{probe.kind} probe", f"never succeeded ({probe.last_error})")


def check_traces_arrive(pods: list[Pod]) -> None:
    """With the collector on, the smoke's spans reach it (batch export: within seconds)."""
    collectors = [c for pod in pods for c in pod.containers if c.name == "otel-collector"]
    for collector in collectors:
        deadline = time.monotonic() + 20
        while "traces received" not in collector.logs():
            if time.monotonic() > deadline:
                raise collector.fail("traces", f"no trace arrived in 20 s:\n{collector.logs()[-400:]}")
            time.sleep(1)


def check_release(pods: list[Pod], contract: dict) -> None:
    for pod in pods:
        if "service" in [c.name for c in pod.containers]:
            check_service(pod, contract)
    check_traces_arrive(pods)
    for pod in pods:
        check_probes(pod)
        check_logs(pod)


def test_the_defaults_run_as_kubernetes_runs_them(cluster: Cluster, contract: dict) -> None:
    workloads = {p.workload for p in cluster.pods}
    assert {
        "StatefulSet/observatory-services-postgresql",
        "Deployment/observatory-services-fastapi-uvicorn",
    } <= workloads
    check_release(cluster.pods, contract)


def masked(docs: list[dict]) -> str:
    """The rendering without what changes between two renders (generated passwords, checksums)."""
    return re.sub(r"'password': '[^']*'|'checksum/[a-z]+': '[0-9a-f]+'", "", repr(docs))


def differing_values() -> list[Path]:
    """The ci/ values files whose rendering is not the defaults' (ci/default-values.yaml is `{}`: the defaults run
    in the session's cluster, test_the_defaults_run_as_kubernetes_runs_them)."""
    defaults = masked(render("observatory-services"))
    return [values for values in CI_VALUES if masked(render("observatory-services", values)) != defaults]


@pytest.mark.parametrize("values", differing_values(), ids=lambda p: p.stem)
def test_every_ci_values_file_runs(values: Path, contract: dict, tmp_path: Path) -> None:
    podman_path()
    docs = render("observatory-services", values)
    with release(docs, tmp_path, values.stem.replace("-values", "")) as running:
        pods = start_release(running)
        assert len(pods) == len(running.workloads())
        check_release(pods, contract)
