"""The report's instruments section: the generator's ceilings and the host's stalls, in words, figures and tables."""

from __future__ import annotations

import pytest

from observatory.report.instruments import (
    calibrated_speed_words,
    generator_words,
    html_section,
    markdown_section,
    speed_words,
    stall_words,
)
from observatory.results import Latency, Run, Trial


def run_with(calibration: dict | None, stalls: list[float] | None, speeds: list[float] | None = None) -> Run:
    run = Run("r", "2026-11-28T00:00:00+00:00", None, "complete", None, {}, {}, {"p99_ms": 100.0, "error_rate": 0.01})
    run.calibration = calibration  # type: ignore[attr-defined]
    for i, worst in enumerate(stalls or []):
        trial = Trial(f"t{i}", "flask", "gunicorn-sync", "json", 1, 1, "constant", 500.0, None, 3.0, "", "")
        trial.client_latency = Latency(p99=0.01)
        trial.host_stalls = {"max_ms": worst, "bound_ms": 50.0, "p99_ms": 1.0, "worst_core": 0}  # type: ignore[attr-defined]
        if speeds:
            trial.host_stalls |= {"speed_ratio": speeds[i], "speed_core": 0,
                                  "per_core": {"0": {"work_us": 200.0 * speeds[i], "usual_work_us": 200.0},
                                               "1": {"work_us": 190.0, "usual_work_us": 190.0}}}  # fmt: skip
        run.trials.append(trial)
    return run


def point(rate: float, p99: float, dropped: int = 0) -> dict:
    return {"rate": rate, "requests": int(rate * 2), "p50_ms": 0.2, "p99_ms": p99, "dropped": dropped, "errors": 0,
            "cpu": 0.3, "cpu_wait": 0.01, "stall_ms": 3.0, "attempts": 1}  # fmt: skip


CALIBRATION = {
    "share_of_slo": 0.1,
    "clean_p99_ms": 10.0,
    "ladders": [
        {"workload": "json", "mode": "keep-alive", "ceiling_rps": 3000.0,
         "points": [point(1000, 0.6), point(3000, 3.5), point(4000, 26.0)]},
        {"workload": "json", "mode": "close", "ceiling_rps": None, "points": [point(500, 29.7)]},
    ],
}  # fmt: skip


def test_the_report_says_where_the_generator_runs_out() -> None:
    words = generator_words(run_with(CALIBRATION, None))
    assert "json (keep-alive): 3,000 req/s" in words
    assert "json (close): below the lowest rate tried" in words
    assert "within 10 ms (10% of the SLO's p99)" in words and "published as ≥" in words
    html = html_section(run_with(CALIBRATION, [3.0, 180.0]))
    assert html.count("<svg") == 2 and "<td>4,000</td>" in html
    markdown = markdown_section(run_with(CALIBRATION, None))
    assert "| json | keep-alive | 3,000 | 0.20 | 3.5 | 0 | 30% | 0.01 | 3 | ✓ |" in markdown
    assert "| json | keep-alive | 4,000 | 0.20 | 26.0 | 0 | 30% | 0.01 | 3 |  |" in markdown


def test_an_uncalibrated_run_says_so() -> None:
    run = run_with(None, None)
    assert generator_words(run).startswith("The load generator was not calibrated")
    assert stall_words(run) == "Host stalls were not measured in this run."
    assert "<svg" not in html_section(run)


def test_stalls_over_the_bound_are_counted() -> None:
    words = stall_words(run_with(None, [3.0, 49.9, 50.0, 180.0]))
    assert "watched 4 trials: 2 saw a stall of 50 ms or more" in words
    assert "the longest was 180 ms, in t3" in words


def test_the_report_gives_the_hosts_usual_speed_and_the_trials_off_it() -> None:
    run = run_with(None, [3.0, 3.0, 3.0, 3.0], speeds=[1.0, 1.249, 1.25, 0.58])
    words = speed_words(run)
    assert "its usual time in this run was 200 µs on core 0, 190 µs on core 1" in words
    assert "2 of 4 trials ran 1.25× or more off that speed, either way (no trial is invalid for it" in words
    assert "The furthest ran 1.72× faster than usual, in t3" in words
    assert html_section(run).count("<svg") == 2  # the stalls' figure and the speed's
    assert words in markdown_section(run)
    run.trials[3].host_stalls |= {"service_share": 0.6}
    assert "The service's cores had 60%-60% of a usual core per trial." in speed_words(run)
    assert speed_words(run_with(None, [3.0])) == "The host's speed was not measured in this run."


@pytest.mark.parametrize(
    ("calibrated_us", "words"),
    [
        (190.0, "The host ran at this run's usual speed when k6 was calibrated (190 µs"),
        (153.0, "The host ran at this run's usual speed"),  # 190 / 153 = 1.24: within the bound
        (152.0, "k6 was calibrated on a host 1.25× faster than this run's usual speed (152 µs"),
        (110.0, "the ceilings above may be too high for this run; `observatory calibrate --refresh`"),
        (240.0, "k6 was calibrated on a host 1.26× slower than this run's usual speed"),
        (None, ""),
    ],
)
def test_the_report_compares_the_hosts_speed_at_calibration_with_the_runs(
    calibrated_us: float | None, words: str
) -> None:
    """A ceiling measured while the host ran fast is too high for a run on a slower host (this one switches 1.6-1.8×).
    Seeded fault: without the speed bound every case reads as calibrated at the run's speed or off it."""
    calibration = {
        **CALIBRATION,
        "ladders": [{**ladder, "work_us": calibrated_us} for ladder in CALIBRATION["ladders"]],
    }
    run = run_with(calibration, [3.0, 3.0], speeds=[1.0, 1.0])
    run.environment = {"pinning": {"service_cores": [0], "k6_and_prometheus_cores": [1]}}
    found = calibrated_speed_words(run)
    assert words in found and (found == "") is (words == "")
    assert found in generator_words(run)
    run.environment = {}
    assert calibrated_speed_words(run) == ""  # k6's cores unknown: no comparison
