"""Compare two runs: each capacity as an interval, a regression only when B's whole interval lies below A's.

A capacity's interval (observatory.judging.capacity.bounds) is its 90 % interval, fitted and bootstrapped over every
round's trials (docs/judging.md), and open above when the capacity is only a lower bound ("≥"): a censored side
can show a drop only against what it is known to reach, never an improvement beyond it.

B regressed when the top of its interval is below the bottom of A's by more than a floor, FLOOR of A's capacity;
it improved when the bottom of B's is above the top of A's by as much. Anything else is a tie. The floor covers
the run-to-run noise that one run's repeats cannot show: tests/report/test_compare.py simulates two runs of the same
system at the default settings with 3 % noise per trial (flagged < 1 % of the time) and a 15 % drop (caught);
benchmarks/compare_noise.py prints both rates at noisier levels, where false alarms grow.

Beside the absolute capacities, each run's within-run ratios (every configuration ÷ its workload's reference: a
baseline when the run has one, else Flask), with their bootstrap intervals (judging.capacity.capacity_ratio): a
ratio measured side by side in one run cancels most of the host's speed, so a ratio that moved between the runs
(intervals apart) points at the framework, not the machine.

Runs whose conditions differ (SLO, run size, instrumentation, CPU model, core count) measure different things and
are refused, unless forced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from observatory.errors import ObservatoryError
from observatory.judging import Slo, bounds, capacity_ratio
from observatory.judging.capacity import Key, key_of
from observatory.judging.estimate import Estimate
from observatory.report import read_run
from observatory.results import Capacity, Run

FLOOR = 0.05
REGRESSION, IMPROVEMENT, TIE = "regression", "improvement", "tie"


class NotComparable(ObservatoryError):
    """Two runs whose conditions differ: their capacities would not compare."""


def _conditions(run: Run) -> dict[str, Any]:
    env, settings = run.environment, run.settings
    return {
        "SLO": (run.slo.get("p99_ms"), run.slo.get("error_rate")),
        "size": (settings.get("size") or {}).get("name")
        if isinstance(settings.get("size"), dict)
        else settings.get("size"),
        "instrumentation": settings.get("instrumentation"),
        "CPU model": env.get("cpu_model"),
        "core count": env.get("cores"),
    }


def check_comparable(a: Run, b: Run) -> None:
    """Raise NotComparable naming the first condition that differs."""
    ca, cb = _conditions(a), _conditions(b)
    for name, value in ca.items():
        if value != cb[name]:
            raise NotComparable(f"runs differ in {name} ({value} vs {cb[name]}): use --force to compare anyway")


def verdict(before: Capacity, after: Capacity, floor: float | None = None) -> str:
    """`regression`, `improvement` or `tie` for B (after) against the baseline A (before)."""
    a_lo, a_hi = bounds(before)
    b_lo, b_hi = bounds(after)
    margin = (FLOOR if floor is None else floor) * (before.estimate or 0.0)
    if b_hi < a_lo - margin:
        return REGRESSION
    if b_lo > a_hi + margin:
        return IMPROVEMENT
    return TIE


@dataclass(frozen=True)
class Difference:
    """One capacity compared between the baseline run A and the new run B."""

    key: tuple[str, str, str, int]
    before: Capacity
    after: Capacity

    @property
    def change(self) -> float:
        """B's estimate minus A's, in req/s."""
        return (self.after.estimate or 0.0) - (self.before.estimate or 0.0)

    @property
    def verdict(self) -> str:
        """`regression`, `improvement` or `tie`."""
        return verdict(self.before, self.after)


def _ratio(found: Estimate) -> str:
    if found.value is None or found.low is None or found.high is None:
        return "–"
    return f"{found.value:.2f}x ({found.low:.2f}–{found.high:.2f})"


def within_run_ratios(a: Run, b: Run, keys: list[Key]) -> list[tuple[Key, Key, Estimate, Estimate]]:
    """Each configuration ÷ its workload's reference (a baseline, else Flask), in A and in B."""
    ratios = []
    for key in keys:
        peers = [k for k in keys if k[2:] == key[2:] and k != key]
        reference = next((k for k in peers if k[0].startswith("baseline")), None) or next(
            (k for k in peers if k[0] == "flask"), None
        )
        if reference is None or key[0].startswith("baseline"):
            continue
        found = [capacity_ratio([t for t in r.trials if key_of(t) == key], [t for t in r.trials if key_of(t) == reference],
                                Slo(**{k: float(v) for k, v in r.slo.items() if k in ("p99_ms", "error_rate")}))
                 for r in (a, b)]  # fmt: skip
        ratios.append((key, reference, found[0], found[1]))
    return ratios


def _interval(c: Capacity) -> str:
    low, high = bounds(c)
    return f"{low:,.0f}–{high:,.0f}" if math.isfinite(high) else f"≥ {low:,.0f}"


@dataclass
class Comparison:
    """Every matched difference, and what could not be matched."""

    differences: list[Difference] = field(default_factory=list)
    only_in_a: list[tuple[str, str, str, int]] = field(default_factory=list)
    only_in_b: list[tuple[str, str, str, int]] = field(default_factory=list)
    forced: str | None = None
    ratios: list[tuple[Key, Key, Estimate, Estimate]] = field(default_factory=list)  # (config, reference, A, B)

    @property
    def regressions(self) -> list[Difference]:
        """Drops beyond the noise."""
        return [d for d in self.differences if d.verdict == REGRESSION]

    def render(self) -> str:
        """A plain-text table, one line per difference: estimates, 90 % intervals and the verdict."""
        lines = [f"compared despite: {self.forced}"] if self.forced else []
        lines.append(
            f"{'framework/profile workload workers':<44} {'A req/s':>9} {'B req/s':>9} {'change':>8} "
            f"{'A 90% interval':>15} {'B 90% interval':>15}  verdict"
        )
        for d in self.differences:
            framework, profile, workload, workers = d.key
            name = f"{framework}/{profile} {workload} w{workers}"
            before, after = d.before.estimate or 0.0, d.after.estimate or 0.0
            pct = d.change / before if before else 0.0
            lines.append(
                f"{name:<44} {before:>9,.0f} {after:>9,.0f} {pct:>+8.1%} {_interval(d.before):>15} "
                f"{_interval(d.after):>15}  {d.verdict}"
            )
        for key in self.only_in_a:
            lines.append(f"{'/'.join(map(str, key)):<44} only in A")
        for key in self.only_in_b:
            lines.append(f"{'/'.join(map(str, key)):<44} only in B")
        for key, reference, in_a, in_b in self.ratios:
            moved = in_a.high is not None and in_b.low is not None and (in_b.low > in_a.high or in_b.high < in_a.low)  # type: ignore[operator]
            lines.append(
                f"{key[0]}/{key[1]} ÷ {reference[0]}/{reference[1]} {key[2]} w{key[3]}: A {_ratio(in_a)}, "
                f"B {_ratio(in_b)}" + ("  moved" if moved else "")
            )
        lines.append(
            f"intervals: 90 %, fitted over every round's trials, ≥ when only a lower bound; a regression is B's whole "
            f"interval below A's by more than {FLOOR:.0%} of A"
        )
        lines.append(
            f"{len(self.regressions)} regression(s) beyond the noise"
            if self.regressions
            else "no regression beyond the noise"
        )
        return "\n".join(lines)


def compare(a: Run, b: Run, *, force: bool = False) -> Comparison:
    """Compare run B against the baseline A (refusing runs whose conditions differ, unless forced)."""
    forced = None
    try:
        check_comparable(a, b)
    except NotComparable as error:
        if not force:
            raise
        forced = str(error).split(":")[0]
    caps_a = {key_of(c): c for c in a.capacity if c.estimate is not None or c.high is not None}
    caps_b = {key_of(c): c for c in b.capacity if c.estimate is not None or c.high is not None}
    comparison = Comparison(
        only_in_a=sorted(caps_a.keys() - caps_b.keys()), only_in_b=sorted(caps_b.keys() - caps_a.keys()), forced=forced
    )
    for key in sorted(caps_a.keys() & caps_b.keys()):
        comparison.differences.append(Difference(key, caps_a[key], caps_b[key]))
    comparison.ratios = within_run_ratios(a, b, sorted(caps_a.keys() & caps_b.keys()))
    return comparison


def compare_runs(run_a: Path, run_b: Path, *, force: bool = False) -> Comparison:
    """Compare the run in folder B against the baseline in folder A."""
    return compare(read_run(run_a), read_run(run_b), force=force)
