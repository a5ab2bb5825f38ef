"""Every guard of the trial verdict, table-driven, each with a seeded fault: the guard's own case turns valid when
the guard is removed from the table, and every boundary sits exactly where the rule says."""

from __future__ import annotations

import pytest

from observatory.judging import GUARDS, Slo, judge
from observatory.judging.trial import Guard
from observatory.results import Latency, Trial

SLO = Slo(p99_ms=100.0, error_rate=0.01)


def clean(**changes: object) -> Trial:
    """A trial that every guard passes and that meets the SLO: 1,000 requests, p99 20 ms, k6 at 30 %."""
    trial = Trial(
        trial_id="t", framework="flask", profile="gunicorn-sync", workload="json", workers=1, repeat=1,
        scenario="constant", offered_rate=100.0, vus=None, duration_s=10, started_at="", ended_at="",
        achieved_rate=100.0, client_requests=1000, server_requests=1000, client_latency=Latency(p99=0.020),
        k6_cpu_utilisation=0.3, max_vus=30, check_failures={"status is 200": 0, "body as expected": 0},
    )  # fmt: skip
    for name, value in changes.items():
        setattr(trial, name, value)
    return trial


# (case, the trial's fault, the guard that must fire, words its reason must contain)
GUARD_CASES = [
    ("generator drops while responses are fast", {"dropped_iterations": 12}, "generator dropped iterations",
     "load generator saturated: k6 could not start 12 iterations on time (at most 30 VUs)"),
    ("k6 at the saturation threshold", {"k6_cpu_utilisation": 0.9}, "generator CPU",
     "load generator saturated: k6 used 90% of its cores"),
    ("the service counted fewer requests than k6 sent", {"server_requests": 990}, "client/server counts",
     "k6 sent 1000, the service counted 990"),
    ("the service counted more requests than k6 sent", {"server_requests": 1003}, "client/server counts",
     "3 apart"),
    ("a 200 with a wrong body", {"check_failures": {"status is 200": 0, "body as expected": 40}}, "response checks",
     "'body as expected' failed on 40 response(s) that were not errors"),
    ("nothing completed", {"client_requests": 0, "server_requests": 0, "client_latency": Latency()}, "no request",
     "no request completed"),
    ("a miss while k6 waited for a CPU half the time", {"k6_cpu_wait": 0.5, "client_latency": Latency(p99=0.3)},
     "generator starved", "load generator starved"),
    ("a miss above k6's clean ceiling", {"generator_ceiling_rps": 90.0, "client_latency": Latency(p99=0.3)},
     "generator ceiling", "above k6's clean ceiling on this machine (90 req/s"),
    ("the warm-up's requests left uncounted", {"warmup_requests": 100}, "client/server counts",
     "k6 sent 1100 (100 in the warm-up), the service counted 1000"),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "guard", "words"), [c[1:] for c in GUARD_CASES], ids=[c[0] for c in GUARD_CASES])
def test_each_guard_fires_on_its_fault_alone(fault: dict[str, object], guard: str, words: str) -> None:
    trial = judge(clean(**fault), SLO)
    assert not trial.valid and not trial.slo_met
    fired = [g.name for g in GUARDS if g.check(trial, SLO)]
    assert fired == [guard]
    assert any(words in reason for reason in trial.invalid_reasons), trial.invalid_reasons


@pytest.mark.parametrize(("fault", "guard"), [c[1:3] for c in GUARD_CASES], ids=[c[0] for c in GUARD_CASES])
def test_seeded_fault_without_the_guard_the_trial_would_pass_as_valid(fault: dict[str, object], guard: str) -> None:
    """Removing the guard from the table makes its case valid: the table above is what keeps it out."""
    without = tuple(g for g in GUARDS if g.name != guard)
    assert len(without) == len(GUARDS) - 1
    assert judge(clean(**fault), SLO, guards=without).valid


def test_a_clean_trial_is_valid_and_meets_the_slo() -> None:
    trial = judge(clean(), SLO)
    assert trial.valid and trial.slo_met and trial.invalid_reasons == [] and trial.slo_misses == []


def test_every_guard_is_in_the_table_once() -> None:
    names = [g.name for g in GUARDS]
    assert len(set(names)) == len(names) == len(GUARD_CASES) - 2  # three cases exercise the count guard
    assert {c[2] for c in GUARD_CASES} == set(names)
    assert all(isinstance(g, Guard) for g in GUARDS)


# (case, the trial, valid, slo met, words of the miss)
VERDICT_CASES = [
    ("p99 exactly at the bound meets it", {"client_latency": Latency(p99=0.100)}, True, True, None),
    ("p99 just above the bound misses", {"client_latency": Latency(p99=0.1001)}, True, False, "p99 100.1 ms > 100 ms"),
    ("errors exactly at the bound meet it", {"errors": 10, "error_rate": 0.01}, True, True, None),
    ("errors above the bound are a miss, not invalid", {"errors": 90, "error_rate": 0.09}, True, False, "errors 9.00% > 1.00%"),
    ("fast 5xx with drops: a miss", {"errors": 90, "error_rate": 0.09, "dropped_iterations": 5}, True, False, "errors"),
    ("drops with slow responses: the service fell behind", {"dropped_iterations": 50, "client_latency": Latency(p99=0.3)},
     True, False, "the service fell behind: k6 dropped 50 iterations"),
    ("k6 just under the threshold is fine", {"k6_cpu_utilisation": 0.899}, True, True, None),
    ("transport errors explain the count gap", {"errors": 10, "error_rate": 0.01, "server_requests": 990}, True, True, None),
    ("a stall just under the bound", {"host_stalls": {"max_ms": 49.9, "worst_core": 0}}, True, True, None),
    ("a miss with k6 waiting just under the starvation bound", {"k6_cpu_wait": 0.499, "client_latency": Latency(p99=0.3)},
     True, False, "p99 300.0 ms"),
    ("a pass while k6 waited is a pass", {"k6_cpu_wait": 0.9}, True, True, None),
    ("a pass above the ceiling is a pass", {"generator_ceiling_rps": 90.0}, True, True, None),
    ("a miss at the ceiling is the service's", {"generator_ceiling_rps": 100.0, "client_latency": Latency(p99=0.3)},
     True, False, "p99 300.0 ms"),
    ("the warm-up's requests counted by the service",
     {"warmup_requests": 100, "server_requests": 1100}, True, True, None),
    ("checks failing only on failed requests are the errors' doing",
     {"errors": 5, "error_rate": 0.005, "check_failures": {"status is 200": 5, "body as expected": 5}}, True, True, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "valid", "met", "miss"), [c[1:] for c in VERDICT_CASES], ids=[c[0] for c in VERDICT_CASES]
)
def test_slo_verdict(changes: dict[str, object], valid: bool, met: bool, miss: str | None) -> None:
    trial = judge(clean(**changes), SLO)
    assert (trial.valid, trial.slo_met) == (valid, met), (trial.invalid_reasons, trial.slo_misses)
    if miss:
        assert any(miss in m for m in trial.slo_misses), trial.slo_misses


def test_a_wrong_answer_names_the_worst_check() -> None:
    trial = judge(clean(check_failures={"status is 200": 3, "body as expected": 40}), SLO)
    assert "'body as expected' failed on 40" in trial.invalid_reasons[0] and "1 more check" in trial.invalid_reasons[0]


def test_the_host_is_no_guard_a_stalled_or_off_speed_trial_stays_valid() -> None:
    """Seeded fault: putting a host guard back into GUARDS makes these trials invalid (the fit leaves a stalled
    trial out instead: tests/judging/test_capacity.py)."""
    stalled = judge(clean(host_stalls={"max_ms": 180.0, "worst_core": 0, "speed_ratio": 1.7, "speed_core": 0}), SLO)
    assert stalled.valid and stalled.slo_met
    assert not any(guard.name.startswith("host") for guard in GUARDS)
