"""Capacity over repeats: errors are a miss, unfinished repeats are left out and counted, lower bounds say why,
and the resolution is the gap the search left."""

from __future__ import annotations

import pytest

from observatory.judging import Slo, from_trials, judge, repeat_outcomes, summarise
from observatory.judging.capacity import HOST_REASON, INVALID_ABOVE, OUT_OF_STEPS, RepeatOutcome, repeat_outcome
from observatory.judging.generator import GENERATOR
from observatory.results import Latency, Trial

KEY = ("flask", "gunicorn-sync", "json", 1)


def at(
    rate: float, *, p99: float = 0.02, repeat: int = 1, errors: float = 0.0, k6: float = 0.3, attempt: int = 1
) -> Trial:
    """A constant-rate trial of KEY, judged."""
    requests = int(rate * 10)
    trial = Trial(
        trial_id=f"r{rate:g}.n{repeat}.a{attempt}", framework="flask", profile="gunicorn-sync", workload="json",
        workers=1, repeat=repeat, scenario="constant", offered_rate=rate, vus=None, duration_s=10, started_at="",
        ended_at="", achieved_rate=rate, client_requests=requests, server_requests=requests,
        errors=int(requests * errors), error_rate=errors, client_latency=Latency(p99=p99), k6_cpu_utilisation=k6,
        cpu_seconds_per_1k=1.0 + rate / 1000, peak_rss_bytes=50e6 + rate, attempt=attempt,
    )  # fmt: skip
    return judge(trial, Slo())


def stalled(rate: float, attempt: int = 1) -> Trial:
    trial = at(rate, attempt=attempt)
    trial.host_stalls = {"max_ms": 120.0, "worst_core": 0}
    return judge(trial, Slo())


def miscounted(rate: float) -> Trial:
    trial = at(rate)
    trial.server_requests = trial.client_requests - 50
    return judge(trial, Slo())


def test_errors_above_the_bound_end_the_capacity_it_is_not_a_lower_bound() -> None:
    """Finding 1: 900 passes, 1,100 returns 9 % 5xx: the capacity is 900, not "≥ 900"."""
    (cap,) = from_trials([at(700), at(900), at(1100, errors=0.09)])
    assert cap.median == 900 and not cap.lower_bound and cap.resolution == 200


def test_unfinished_repeats_are_left_out_and_counted() -> None:
    """Finding 2: [900, interrupted] is 900 with one repeat left out, not a median of 450 and a CV of 141 %."""
    trials = [at(900), at(1000, p99=0.3), at(600, repeat=2)]
    (cap,) = from_trials(trials, finished={(KEY, 1)})
    assert cap.per_repeat == [900] and cap.median == 900 and cap.unfinished_repeats == 1 and cap.cv is None


def test_a_finished_repeat_without_a_pass_counts_as_zero() -> None:
    (cap,) = from_trials([at(900), at(1000, p99=0.3), at(500, p99=0.3, repeat=2), at(250, p99=0.3, repeat=2)])
    assert cap.per_repeat == [900, None] and cap.low == 0 and cap.median == 450


@pytest.mark.parametrize(
    ("trials", "censored_by"),
    [
        ([at(700), at(900), at(1100)], OUT_OF_STEPS),
        ([at(700), at(900), at(1100, k6=0.95)], GENERATOR),
        ([at(700), at(900), at(1100, k6=0.95), at(1000, p99=0.3)], None),
        ([at(700, p99=0.3)], None),
        ([at(700), at(900), stalled(1100), stalled(1100, attempt=2)], HOST_REASON),
        ([at(700), at(900), miscounted(1100)], INVALID_ABOVE),
    ],
    ids=[
        "everything passed",
        "the generator gave out above",
        "a valid miss above",
        "nothing passed",
        "host stalls above",
        "a count mismatch above",
    ],
)
def test_censoring(trials: list[Trial], censored_by: str | None) -> None:
    assert repeat_outcome(1, trials).censored_by == censored_by


def test_lower_bound_reason_is_the_generator_when_any_repeat_ran_out_of_generator() -> None:
    trials = [at(900), at(1100, k6=0.95), at(900, repeat=2), at(1000, repeat=2)]
    (cap,) = from_trials(trials)
    assert cap.lower_bound and cap.lower_bound_reason == GENERATOR


def test_a_retried_invalid_rate_that_passes_counts() -> None:
    (cap,) = from_trials([at(900), at(1000, k6=0.95), at(1000, attempt=2), at(1100, p99=0.3)])
    assert cap.median == 1000 and cap.resolution == 100


def test_figures_at_capacity_are_the_capacity_trials_own() -> None:
    """p99 and CPU per 1k at capacity: median over repeats of each repeat's capacity trial (the worse of two)."""
    trials = [at(900, p99=0.03), at(900, p99=0.05, attempt=2), at(1000, p99=0.3),
              at(950, p99=0.04, repeat=2), at(1000, p99=0.3, repeat=2)]  # fmt: skip
    (cap,) = from_trials(trials)
    assert cap.p99_at_capacity == pytest.approx((0.05 + 0.04) / 2)
    assert cap.cpu_seconds_per_1k == pytest.approx((1.9 + 1.95) / 2)
    assert cap.peak_rss_bytes == 50e6 + 1000  # valid trials only, all of them


def test_summary_has_median_spread_and_cv() -> None:
    cap = summarise("flask", "gunicorn-sync", "json", 1, [900.0, 1000.0, 1100.0])
    assert (cap.median, cap.low, cap.high) == (1000.0, 900.0, 1100.0)
    assert cap.cv == pytest.approx(0.1)


def test_outcomes_group_by_configuration_and_repeat() -> None:
    outcomes = repeat_outcomes([at(900), at(1000, p99=0.3), at(800, repeat=2)])
    assert outcomes[KEY] == {
        1: RepeatOutcome(1, 900, 1000, None),
        2: RepeatOutcome(2, 800, None, OUT_OF_STEPS),
    }


def test_a_repeat_with_only_invalid_trials_decides_nothing() -> None:
    """Every trial invalid (k6 starved twice) is not a capacity of 0: it is left out and counted as undecided."""
    (cap,) = from_trials(
        [at(600, k6=0.95), at(600, k6=0.95, attempt=2), at(900, repeat=2), at(1000, p99=0.3, repeat=2)]
    )
    assert cap.per_repeat == [900] and cap.median == 900 and cap.undecided_repeats == 1
    (alone,) = from_trials([at(600, k6=0.95), at(600, k6=0.95, attempt=2)])
    assert alone.median is None and alone.undecided_repeats == 1


def test_a_repeat_whose_rates_below_its_miss_the_host_left_undecided_is_not_zero() -> None:
    """1,000 missed, and the host left 500 undecided (three stalled tries): the capacity is below 1,000 but not known
    to be 0, so the repeat is left out as undecided. A miss at 500 instead makes it 0.
    Seeded fault: without the host's case, repeat 2 counts as 0 and the median falls from 900 to 450."""
    host_left = [at(1000, p99=0.3, repeat=2)] + [stalled(500, attempt=a) for a in (1, 2, 3)]
    for trial in host_left:
        trial.repeat = 2
    (cap,) = from_trials([at(900), at(1000, p99=0.3), *host_left])
    assert cap.per_repeat == [900] and cap.median == 900 and cap.undecided_repeats == 1
    (missed,) = from_trials([at(900), at(1000, p99=0.3), at(1000, p99=0.3, repeat=2), at(500, p99=0.3, repeat=2)])
    assert missed.per_repeat == [900, None] and missed.median == 450 and missed.undecided_repeats == 0
    other_guard = [at(1000, p99=0.3, repeat=2), miscounted(500)]
    other_guard[1].repeat = 2
    (counted,) = from_trials([at(900), at(1000, p99=0.3), *other_guard])
    assert counted.per_repeat == [900, None], "only the host leaves a rate undecided; other guards fail it"
