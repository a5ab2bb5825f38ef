"""The cluster's path to `compare`: summaries written by the real k6 script, imported, compared and reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatory.cli.main import main
from observatory.k6_summaries import runs_from_summaries
from observatory.run.service import ServiceProcess
from service_common.profiles import find_profile
from tests.loadtests.test_scripts import k6

# Two nightly ladders, as the CronJob runs them (one k6 run per rate, SLO p99 100 ms, 3 VUs at most).
# Night 1: io waits 10 ms, so 20 and 60 req/s pass, and 1,000 req/s is beyond what 3 VUs can send: dropped
# iterations with fast responses, an invalid trial. Night 2: io waits 150 ms, so every rate misses the SLO.
NIGHTS = {"night-1": ("10", ["20", "60", "1000"]), "night-2": ("150", ["20", "60"])}


@pytest.fixture(scope="module")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cluster-results")
    with ServiceProcess(find_profile("baseline-asgi", "uvicorn"), tmp_path_factory.mktemp("svc")) as service:
        for run, (io_ms, rates) in NIGHTS.items():
            for rate in rates:
                testid = f"{run}-io-{rate}"
                env = {
                    "BASE_URL": service.url, "WORKLOAD": "io", "IO_MS": io_ms, "SCENARIO": "constant", "RATE": rate,
                    "DURATION": "2s", "MAX_VUS": "3", "PRE_VUS": "3", "SLO_P99_MS": "100", "TESTID": testid,
                    "RUN_ID": run, "FRAMEWORK": "baseline-asgi", "PROFILE": "uvicorn",
                    "SUMMARY_PATH": str(folder / f"{testid}.json"),
                }  # fmt: skip
                done = k6(env, folder)
                assert done.returncode in (0, 99), done.stderr[-2000:]  # 99: thresholds failed, as expected
    return folder


def test_summaries_become_judged_trials_and_capacities(summaries: Path) -> None:
    runs = {run.run_id: run for run in runs_from_summaries(summaries)}
    assert set(runs) == set(NIGHTS)
    night1 = runs["night-1"]
    verdicts = {t.offered_rate: (t.valid, t.slo_met) for t in night1.trials}
    assert verdicts == {20: (True, True), 60: (True, True), 1000: (False, False)}
    (invalid,) = [t for t in night1.trials if not t.valid]
    assert "load generator saturated" in invalid.invalid_reasons[0]
    (capacity,) = night1.capacity
    assert (capacity.framework, capacity.workload, capacity.estimate) == ("baseline-asgi", "io", 60)
    assert capacity.lower_bound and capacity.lower_bound_reason == "load generator"  # the 1,000 req/s trial
    assert all(t.server_requests is None and t.k6_cpu_utilisation is None for t in night1.trials)
    below = runs["night-2"].capacity[0]  # every rate missed: below the lowest tried
    assert below.estimate is None and below.high == 20 and below.lower_bound_reason == "every rate tried missed the SLO"
    assert all(t.valid and not t.slo_met for t in runs["night-2"].trials)


def test_import_then_compare_flags_the_regression_and_report_renders(
    summaries: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-k6", str(summaries), "--output", str(tmp_path)]) == 0
    assert "night-1/results.json: 3 trial(s); capacity baseline-asgi/uvicorn io ≥ 60 req/s" in capsys.readouterr().out
    assert main(["compare", str(tmp_path / "night-1"), str(tmp_path / "night-2")]) == 1
    assert "regression" in capsys.readouterr().out
    assert main(["compare", str(tmp_path / "night-1"), str(tmp_path / "night-1")]) == 0
    assert main(["report", str(tmp_path / "night-1")]) == 0
    assert (tmp_path / "night-1" / "report.html").stat().st_size > 10_000


def test_a_folder_without_summaries_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "other.json").write_text('{"metrics": {}}')
    assert main(["import-k6", str(tmp_path)]) == 1
    assert "no k6 summary with observatory metadata" in capsys.readouterr().err
