"""The article's claims as data, each judged against a run: holds, does not hold, depends, or not measured."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from observatory.results import Capacity, Run

ARTICLE = "FastAPI vs Flask vs Django (DEV Community), shared/seed/000_337977007894952b.txt"
HOLDS, FAILS, DEPENDS, UNMEASURED = "holds", "does not hold", "depends", "not measured"
SIGNIFICANT = 1.5
ASYNC_QUOTE = "FastAPI's async-native architecture gives it a significant performance advantage for I/O-bound workloads"
CPU_QUOTE = "For CPU-bound tasks, the difference narrows since Python's GIL"  # "a significant advantage": at least half as much again, beyond the spread


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
        if c.framework == framework and c.profile in profiles and c.workload in workloads and c.median
    ]  # fmt: skip
    return max(rows, key=lambda c: c.median or 0.0, default=None)


def _machine(run: Run) -> str:
    env = run.environment
    pinning = env.get("pinning", {})
    cores = len(pinning.get("service_cores", [])) or "?"
    return f"{cores} service core(s) of {env.get('cpu_model', 'an unknown CPU')}, SLO p99 ≤ {run.slo.get('p99_ms', '?')} ms"


def _range_claim(quote: str, framework: str, profiles: tuple[str, ...], low: float, high: float | None) -> Claim:
    def judge(run: Run) -> Verdict:
        best = _best(run, framework, profiles, ("json", "plaintext"))
        if best is None or best.median is None:
            return Verdict(quote, UNMEASURED, "no json or plaintext capacity for this stack in the run", _machine(run))
        measured = f"{best.median:,.0f} req/s ({best.profile}, {best.workload}, {best.workers} worker(s))"
        per_worker = best.median / best.workers
        conditions = (
            f"{_machine(run)}. The article names no hardware, worker count or latency bound: an absolute "
            f"figure depends on all three ({per_worker:,.0f} req/s per worker here)."
        )
        if best.median >= low and (high is None or best.median <= high):
            return Verdict(quote, HOLDS, measured, conditions)
        if high is not None and best.median > high:
            return Verdict(quote, FAILS, measured + ": faster than claimed", conditions)
        return Verdict(quote, DEPENDS, measured + ": below the claim on this machine", conditions)

    return Claim(quote, judge)


def _ratio(run: Run, workload: str) -> tuple[float, str] | None:
    fast = _best(run, "fastapi", ("uvicorn", "gunicorn-uvicorn"), (workload,))
    sync = [c for f in ("flask", "django") if (c := _best(run, f, ("gunicorn-sync", "gunicorn-gthread"), (workload,)))]
    if fast is None or not sync or not fast.median:
        return None
    best_sync = max(sync, key=lambda c: c.median or 0.0)
    if not best_sync.median:
        return None
    text = f"FastAPI/{fast.profile} {fast.median:,.0f} vs {best_sync.framework}/{best_sync.profile} {best_sync.median:,.0f} req/s"
    return fast.median / best_sync.median, text


def _async_io(run: Run) -> Verdict:
    quote = ASYNC_QUOTE
    ratio = _ratio(run, "io")
    if ratio is None:
        return Verdict(quote, UNMEASURED, "the run has no io capacity for FastAPI and a sync stack", _machine(run))
    value, text = ratio
    conditions = (
        f"I/O wait of 10 ms per request; a sync worker serves one request at a time and a gthread worker "
        f"THREADS at a time, so the advantage shrinks as workers or threads grow. {_machine(run)}."
    )
    verdict = HOLDS if value >= SIGNIFICANT else (DEPENDS if value > 1 else FAILS)
    return Verdict(quote, verdict, f"{value:.1f}x: {text}", conditions)


def _cpu_narrows(run: Run) -> Verdict:
    quote = CPU_QUOTE
    cpu, io = _ratio(run, "cpu"), _ratio(run, "io") or _ratio(run, "json")
    if cpu is None or io is None:
        return Verdict(
            quote, UNMEASURED, "needs cpu and io (or json) capacity for FastAPI and a sync stack", _machine(run)
        )
    measured = f"FastAPI/sync ratio {cpu[0]:.2f}x on cpu vs {io[0]:.2f}x on io/json"
    conditions = f"Pure-Python work of about a millisecond holds the GIL: one worker serves one at a time either way. {_machine(run)}."
    verdict = HOLDS if abs(cpu[0] - 1) < abs(io[0] - 1) else FAILS
    return Verdict(quote, verdict, measured, conditions)


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
