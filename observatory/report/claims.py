"""The article's claims as data, each judged against a run with the capacities' uncertainty.

A capacity is an interval, not a point (observatory.judging.capacity.bounds): its 90 % interval, open above when it
is only a lower bound. A comparison between frameworks is a ratio measured within the run (FastAPI ÷ the best sync
stack on the same workload, judging.capacity.capacity_ratio), with its own bootstrap interval: both sides ran on
the same host in interleaved rounds, so the ratio cancels most of the host's speed. A verdict is given only when
the whole interval says the same; otherwise it is "cannot tell", with the reason (a load generator that ran out
first, an interval that straddles the claim).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from observatory.judging import Slo, bounds, capacity_ratio
from observatory.judging.capacity import key_of
from observatory.judging.generator import GENERATOR
from observatory.results import Capacity, Run

# Cited, not copied: the article states no licence. Its claims are quoted in CLAIMS below.
ARTICLE = '"FastAPI vs Flask vs Django", by 丁久 on DEV Community (originally published on AI Study Room), "Performance Benchmarks"'
HOLDS, FAILS, DEPENDS, CANNOT_TELL, UNMEASURED = "holds", "does not hold", "depends", "cannot tell", "not measured"
# "A significant advantage": at least half as much again, over the whole interval of the ratio.
SIGNIFICANT = 1.5
# "The difference narrows": the cpu ratio is closer to 1 than the io ratio by at least this much (in ratio units),
# over the whole intervals; a smaller difference is within what the intervals can tell apart.
NARROWS_BY = 0.1
ASYNC_QUOTE = "FastAPI's async-native architecture gives it a significant performance advantage for I/O-bound workloads"
CPU_QUOTE = "For CPU-bound tasks, the difference narrows since Python's GIL"
# gunicorn drains every connection before closing it since 26.0.0 (pull request 3590, RFC 9112 section 9.6): a sync
# worker, which keeps no connection alive, then waits one round trip to the client per request.
LINGERING_CLOSE_SINCE = (26, 0)

Interval = tuple[float, float]


@dataclass(frozen=True)
class Verdict:
    """A claim beside what was measured, with the conditions that decide it."""

    claim: str
    verdict: str
    measured: str
    conditions: str


@dataclass(frozen=True)
class Claim:
    """One sentence of the article and how to judge it."""

    quote: str
    judge: Callable[[Run], Verdict]


def _best(run: Run, framework: str, profiles: tuple[str, ...], workloads: tuple[str, ...]) -> Capacity | None:
    rows = [
        c for c in run.capacity
        if c.framework == framework and c.profile in profiles and c.workload in workloads and c.estimate
    ]  # fmt: skip
    return max(rows, key=lambda c: c.estimate or 0.0, default=None)


def _machine(run: Run) -> str:
    env = run.environment
    pinning = env.get("pinning", {})
    cores = len(pinning.get("service_cores", [])) or "?"
    return f"{cores} service core(s) of {env.get('cpu_model', 'an unknown CPU')}, SLO p99 ≤ {run.slo.get('p99_ms', '?')} ms"


def _version(text: str) -> tuple[int, int] | None:
    parts = text.split(".")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1])


def client_paced(run: Run, cap: Capacity) -> str:
    """Why a gunicorn sync capacity includes the client's close latency, when the run's gunicorn lingers; else ""."""
    version = run.environment.get("packages", {}).get("gunicorn")
    parsed = _version(version) if isinstance(version, str) else None
    if cap.profile != "gunicorn-sync" or parsed is None or parsed < LINGERING_CLOSE_SINCE:
        return ""
    return (
        f" gunicorn {version} waits after each response until the client closes the connection (since 26.0.0), and a "
        "sync worker keeps no connection alive: every request also holds the worker for a round trip to the client, "
        "so this figure includes how fast the client closed (README, \"Why a sync worker's capacity depends on its "
        'client").'
    )


def _interval_text(interval: Interval) -> str:
    low, high = interval
    return f"{low:,.0f}–{high:,.0f}" if math.isfinite(high) else f"≥ {low:,.0f}"


def _stopped_at(cap: Capacity) -> str:
    if cap.lower_bound_reason == GENERATOR:
        return f"the load generator ran out at {cap.estimate:,.0f} req/s"
    return f"every rate tried up to {cap.estimate:,.0f} req/s met the SLO"


def judge_range(cap: Capacity, low: float, high: float | None) -> tuple[str, str]:
    """The verdict and its words for a capacity against a claimed range [low, high] (high None: open-ended).

    Symmetric: a capacity wholly above or wholly below the range depends on the machine either way.
    """
    lo, hi = bounds(cap)
    top = math.inf if high is None else high
    if lo >= low and hi <= top:
        return HOLDS, "within the claim"
    if hi < low:
        return DEPENDS, "below the claim on this machine"
    if lo > top:
        return DEPENDS, "above the claim on this machine"
    if cap.lower_bound and cap.estimate is not None and (cap.estimate < low or high is not None):
        return CANNOT_TELL, f"cannot tell on this machine: {_stopped_at(cap)}"
    return CANNOT_TELL, f"cannot tell: the 90% interval {_interval_text((lo, hi))} straddles the claim's edge"


def _range_claim(quote: str, framework: str, profiles: tuple[str, ...], low: float, high: float | None) -> Claim:
    def judge(run: Run) -> Verdict:
        best = _best(run, framework, profiles, ("json", "plaintext"))
        if best is None or best.estimate is None:
            return Verdict(quote, UNMEASURED, "no json or plaintext capacity for this stack in the run", _machine(run))
        verdict, words = judge_range(best, low, high)
        measured = (
            f"{'≥ ' if best.lower_bound else ''}{best.estimate:,.0f} req/s, 90% interval {_interval_text(bounds(best))} "
            f"({best.profile}, {best.workload}, {best.workers} worker(s)): {words}"
        )
        per_worker = best.estimate / best.workers
        conditions = (
            f"{_machine(run)}. The article names no hardware, worker count or latency bound: an absolute "
            f"figure depends on all three ({per_worker:,.0f} req/s per worker here)."
            f"{client_paced(run, best)}"
        )
        return Verdict(quote, verdict, measured, conditions)

    return Claim(quote, judge)


def _ratio(run: Run, workload: str) -> tuple[Interval, str] | None:
    """FastAPI's capacity over the best sync stack's, as an interval, and its words."""
    fast = _best(run, "fastapi", ("uvicorn", "gunicorn-uvicorn"), (workload,))
    sync = [c for f in ("flask", "django") if (c := _best(run, f, ("gunicorn-sync", "gunicorn-gthread"), (workload,)))]
    if fast is None or not sync or not fast.estimate:
        return None
    best_sync = max(sync, key=lambda c: c.estimate or 0.0)
    if not best_sync.estimate:
        return None
    slo = Slo(**{k: float(v) for k, v in run.slo.items() if k in ("p99_ms", "error_rate")})
    within = capacity_ratio(
        [t for t in run.trials if key_of(t) == key_of(fast)],
        [t for t in run.trials if key_of(t) == key_of(best_sync)],
        slo,
    )
    if within.low is not None and within.high is not None:
        interval = (within.low, within.high)
    else:  # a censored side: the ratio of the intervals' ends, open where a side is
        (f_lo, f_hi), (s_lo, s_hi) = bounds(fast), bounds(best_sync)
        interval = (f_lo / s_hi if s_hi else 0.0, f_hi / s_lo if s_lo else math.inf)
    text = (
        f"FastAPI/{fast.profile} {_interval_text(bounds(fast))} vs {best_sync.framework}/{best_sync.profile} "
        f"{_interval_text(bounds(best_sync))} req/s"
    )
    return interval, text


def _ratio_text(interval: Interval) -> str:
    low, high = interval
    return f"{low:.1f}x–{high:.1f}x" if math.isfinite(high) else f"≥ {low:.1f}x"


def judge_advantage(ratio: Interval) -> str:
    """Significant (the whole ratio ≥ SIGNIFICANT), none (≤ 1), some (between), or cannot tell."""
    low, high = ratio
    if low >= SIGNIFICANT:
        return HOLDS
    if high <= 1:
        return FAILS
    if low > 1 and high < SIGNIFICANT:
        return DEPENDS
    return CANNOT_TELL


def _async_io(run: Run) -> Verdict:
    quote = ASYNC_QUOTE
    ratio = _ratio(run, "io")
    if ratio is None:
        return Verdict(quote, UNMEASURED, "the run has no io capacity for FastAPI and a sync stack", _machine(run))
    interval, text = ratio
    conditions = (
        f"I/O wait of 10 ms per request; a sync worker serves one request at a time and a gthread worker "
        f'THREADS at a time, so the advantage shrinks as workers or threads grow. "Significant": at least '
        f"{SIGNIFICANT:g}x over the whole 90% interval of the within-run ratio. {_machine(run)}."
    )
    return Verdict(quote, judge_advantage(interval), f"{_ratio_text(interval)}: {text}", conditions)


def _distance_from_one(ratio: Interval) -> Interval:
    low, high = ratio
    if low <= 1 <= high:
        return 0.0, max(1 - low, high - 1)
    return min(abs(low - 1), abs(high - 1)), max(abs(low - 1), abs(high - 1))


def judge_narrows(cpu: Interval, io: Interval) -> str:
    """Holds when the cpu ratio is closer to 1 than the io ratio by NARROWS_BY over both whole intervals."""
    cpu_lo, cpu_hi = _distance_from_one(cpu)
    io_lo, io_hi = _distance_from_one(io)
    if io_lo - cpu_hi >= NARROWS_BY:
        return HOLDS
    if io_hi - cpu_lo <= 0:
        return FAILS
    return CANNOT_TELL


def _cpu_narrows(run: Run) -> Verdict:
    quote = CPU_QUOTE
    cpu, io = _ratio(run, "cpu"), _ratio(run, "io") or _ratio(run, "json")
    if cpu is None or io is None:
        return Verdict(
            quote, UNMEASURED, "needs cpu and io (or json) capacity for FastAPI and a sync stack", _machine(run)
        )
    measured = f"FastAPI/sync ratio {_ratio_text(cpu[0])} on cpu vs {_ratio_text(io[0])} on io/json"
    conditions = (
        f"Pure-Python work of about a millisecond holds the GIL: one worker serves one at a time either way. "
        f'"Narrows": the cpu ratio is closer to 1 by at least {NARROWS_BY:g} over both whole ranges. {_machine(run)}.'
    )
    return Verdict(quote, judge_narrows(cpu[0], io[0]), measured, conditions)


CLAIMS = (
    _range_claim(
        "FastAPI (with Uvicorn): ~10,000+ requests/second", "fastapi", ("uvicorn", "gunicorn-uvicorn"), 10_000, None
    ),
    _range_claim(
        "Django (with Gunicorn): ~3,000-5,000 requests/second",
        "django",
        ("gunicorn-sync", "gunicorn-gthread"),
        3_000,
        5_000,
    ),
    _range_claim(
        "Flask (with Gunicorn): ~2,000-4,000 requests/second",
        "flask",
        ("gunicorn-sync", "gunicorn-gthread"),
        2_000,
        4_000,
    ),
    Claim(ASYNC_QUOTE, _async_io),
    Claim(CPU_QUOTE, _cpu_narrows),
)


def judge_claims(run: Run) -> list[Verdict]:
    """Every claim of the article, judged against `run`."""
    return [claim.judge(run) for claim in CLAIMS]
