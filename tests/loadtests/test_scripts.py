"""The k6 benchmark script: real k6 against a real service, bad settings refused, every workload covered."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from observatory import tools
from observatory.run.service import ServiceProcess
from observatory.workload_catalog import WORKLOADS
from service_common.profiles import find_profile

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "loadtests" / "benchmark.js"


def k6(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tools.find("k6")
    assert path, "k6 is missing: run make setup"
    return subprocess.run(
        [path, "run", "--quiet", "--no-color", str(SCRIPT)],
        env={**os.environ, "K6_NO_USAGE_REPORT": "true", "SUMMARY_PATH": str(tmp_path / "summary.json"), **env},
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> ServiceProcess:
    with ServiceProcess(find_profile("baseline-asgi", "uvicorn"), tmp_path_factory.mktemp("k6svc")) as service:
        yield service


@pytest.mark.parametrize("workload", ["json", "plaintext", "io", "cpu"])
def test_smoke_against_a_real_service(workload: str, baseline: ServiceProcess, tmp_path: Path) -> None:
    done = k6(
        {
            "BASE_URL": baseline.url,
            "WORKLOAD": workload,
            "SCENARIO": "smoke",
            "TESTID": "t",
            "FRAMEWORK": "baseline-asgi",
        },
        tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads((tmp_path / "summary.json").read_text())["metrics"]
    assert metrics["http_reqs{scenario:smoke}"]["values"]["count"] == 5
    assert metrics["http_req_failed{scenario:smoke}"]["values"]["passes"] == 0
    assert metrics["checks"]["values"]["fails"] == 0
    assert f"baseline-asgi/unknown {workload} (smoke, testid t)" in done.stdout


def test_constant_rate_tags_and_thresholds(baseline: ServiceProcess, tmp_path: Path) -> None:
    env = {
        "BASE_URL": baseline.url,
        "WORKLOAD": "json",
        "SCENARIO": "constant",
        "RATE": "50",
        "DURATION": "2s",
        "SLO_P99_MS": "500",
    }
    done = k6(env, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads((tmp_path / "summary.json").read_text())["metrics"]
    assert 95 <= metrics["http_reqs{scenario:constant}"]["values"]["count"] <= 102


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SCENARIO": "nope"}, "SCENARIO must be one of"),
        ({"RATE": "-1"}, "RATE must be a number >= 1"),
        ({"WORKLOAD": "everything"}, "WORKLOAD must be one of"),
        ({"DURATION": "soon"}, "DURATION must be a duration"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(env: dict[str, str], message: str, tmp_path: Path) -> None:
    done = k6({"BASE_URL": "http://127.0.0.1:9", **env}, tmp_path)
    assert done.returncode != 0
    assert message in done.stderr


def test_unready_target_fails_fast(tmp_path: Path) -> None:
    done = k6({"BASE_URL": "http://127.0.0.1:9", "SCENARIO": "smoke"}, tmp_path)
    assert done.returncode != 0 and "the service is not ready" in done.stderr


def test_every_harness_workload_is_in_the_script() -> None:
    script = (ROOT / "loadtests" / "lib" / "workload_requests.js").read_text()
    config = (ROOT / "loadtests" / "lib" / "config.js").read_text()
    for name in WORKLOADS:
        assert re.search(rf"(^|\s)'?{re.escape(name)}'?: \(c\)", script, flags=re.M), name
        assert f"'{name}'" in config, name
