"""Warm, steady trials: the warm-up opens the connections inside the same k6 process and stays out of every figure;
the measured window is long enough for its p99."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from observatory import k6_summaries, tools
from observatory.run.null_target import KEEP_ALIVE, NullTarget
from observatory.run.run_sizes import (
    MIN_P99_SAMPLES,
    MIN_QUICK_P99_SAMPLES,
    SIZES,
    TRIAL_WARMUP_S,
    RunSize,
    enough_for_p99,
    measured_window_s,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "loadtests" / "benchmark.js"


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NullTarget]:
    with NullTarget(tmp_path_factory.mktemp("nginx"), KEEP_ALIVE) as target:
        yield target


def k6(target: NullTarget, tmp_path: Path, **env: str) -> dict:
    path = tools.find("k6")
    assert path, "k6 is missing: run make setup"
    summary = tmp_path / "summary.json"
    settings = {"BASE_URL": target.url, "WORKLOAD": "json", "SCENARIO": "constant", "RATE": "200", "DURATION": "2s",
                "PRE_VUS": "20", "MAX_VUS": "20", "SUMMARY_PATH": str(summary), **env}  # fmt: skip
    done = subprocess.run(
        [path, "run", "--quiet", "--no-color", str(SCRIPT)],
        env={**os.environ, "K6_NO_USAGE_REPORT": "true", **settings}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode in (0, 99), done.stderr[-2000:]
    return json.loads(summary.read_text())


def test_the_warm_up_opens_the_connections_and_is_not_measured(nginx: NullTarget, tmp_path: Path) -> None:
    warm = k6(nginx, tmp_path, WARMUP="1s")
    metrics = warm["metrics"]
    assert 395 <= k6_summaries.metric(warm, "http_reqs", "count") <= 402  # 2 s at 200/s: the measured window only
    assert 195 <= k6_summaries.metric(warm, "http_reqs", "count", window=k6_summaries.WARMUP_WINDOW) <= 202
    assert k6_summaries.metric(warm, "http_req_connecting", "max") == 0  # every connection was open already
    assert metrics["http_req_connecting"]["values"]["max"] > 0  # the warm-up opened them
    checks = {c["name"]: c["passes"] for c in warm["root_group"]["checks"]}
    assert checks == {"status is 200": k6_summaries.metric(warm, "http_reqs", "count"),
                      "body as expected": k6_summaries.metric(warm, "http_reqs", "count")}  # fmt: skip
    assert warm["observatory"]["warmup"] == "1s"
    # Seeded fault: without the warm-up the measured window opens its own connections.
    cold = k6(nginx, tmp_path, WARMUP="0s")
    assert k6_summaries.metric(cold, "http_req_connecting", "max") > 0
    assert "http_reqs{phase:warmup}" not in cold["metrics"]


def test_a_warm_up_shorter_than_k6_allows_is_refused(nginx: NullTarget, tmp_path: Path) -> None:
    path = tools.find("k6")
    assert path
    done = subprocess.run(
        [path, "run", "--quiet", "--no-color", str(SCRIPT)],
        env={**os.environ, "K6_NO_USAGE_REPORT": "true", "BASE_URL": nginx.url, "SCENARIO": "constant",
             "WARMUP": "soon", "SUMMARY_PATH": str(tmp_path / "s.json")},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0 and "WARMUP must be a duration" in done.stderr


def test_checks_can_be_turned_down(nginx: NullTarget, tmp_path: Path) -> None:
    status_only = k6(nginx, tmp_path, CHECKS="status", DURATION="1s")
    assert [c["name"] for c in status_only["root_group"]["checks"]] == ["status is 200"]
    sampled = k6(nginx, tmp_path, CHECKS="sampled", DURATION="2s")
    checked = {c["name"]: c["passes"] for c in sampled["root_group"]["checks"]}
    requests = k6_summaries.metric(sampled, "http_reqs", "count")
    assert checked.keys() == {"status is 200", "body as expected"}
    assert 0.05 * requests <= checked["body as expected"] <= 0.2 * requests  # one iteration in 10
    none = k6(nginx, tmp_path, CHECKS="none", DURATION="1s")
    assert none["root_group"]["checks"] == [] or none["root_group"]["checks"] == {}


@pytest.mark.parametrize(("rate", "window"), [(5000, 3), (334, 3), (333, 4), (100, 10), (20, 30)])
def test_the_measured_window_holds_enough_samples_for_p99(rate: float, window: float) -> None:
    three_seconds = RunSize("t", 1, 1, 3.0, "a size with 3 s windows")
    assert measured_window_s(three_seconds, rate) == window
    assert enough_for_p99(int(rate * window)) is (rate * window >= MIN_P99_SAMPLES)
    assert measured_window_s(SIZES["tiny"], rate) == SIZES["tiny"].window_s  # smoke runs: no minimum, and say so


@pytest.mark.parametrize(("rate", "quick", "standard"), [(5000, 2, 5), (400, 2, 5), (100, 5, 10), (85, 6, 12)])
def test_quick_trials_need_half_the_samples_of_the_larger_sizes(rate: float, quick: float, standard: float) -> None:
    """quick measures each trial on at least MIN_QUICK_P99_SAMPLES requests (io on a sync worker: 6 s), the larger
    sizes on MIN_P99_SAMPLES."""
    assert measured_window_s(SIZES["quick"], rate) == quick
    assert measured_window_s(SIZES["standard"], rate) == standard
    assert SIZES["quick"].p99_samples == MIN_QUICK_P99_SAMPLES < SIZES["standard"].p99_samples == MIN_P99_SAMPLES


def test_the_readme_states_the_minimum_the_code_enforces() -> None:
    readme = (ROOT / "loadtests" / "README.md").read_text()
    stated = re.search(r"at least ([\d,]+) measured requests", readme)
    assert stated, "loadtests/README.md must state the minimum samples for p99"
    assert int(stated.group(1).replace(",", "")) == MIN_P99_SAMPLES
    assert f"{TRIAL_WARMUP_S:g} s" in readme
