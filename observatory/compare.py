"""Compare two runs: each capacity difference with its noise; a drop beyond the noise is a regression.

Noise of a difference: the larger half-range (max - min over repeats) of the two runs, plus a floor
of 5% of the baseline when both sides have 3 or more repeats, 10% otherwise (one or two repeats say
little about the spread). A difference inside the noise is a tie.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from observatory.report import read_run
from observatory.results import Capacity

FLOOR_MANY_REPEATS = 0.05
FLOOR_FEW_REPEATS = 0.10


@dataclass(frozen=True)
class Difference:
    """One capacity compared between the baseline run A and the new run B."""

    key: tuple[str, str, str, int]
    before: float
    after: float
    noise: float

    @property
    def change(self) -> float:
        """B minus A, in req/s."""
        return self.after - self.before

    @property
    def verdict(self) -> str:
        """`regression`, `improvement` or `tie`."""
        if self.change < -self.noise:
            return "regression"
        if self.change > self.noise:
            return "improvement"
        return "tie"


@dataclass
class Comparison:
    """Every matched difference, and what could not be matched."""

    differences: list[Difference] = field(default_factory=list)
    only_in_a: list[tuple[str, str, str, int]] = field(default_factory=list)
    only_in_b: list[tuple[str, str, str, int]] = field(default_factory=list)

    @property
    def regressions(self) -> list[Difference]:
        """Drops beyond the noise."""
        return [d for d in self.differences if d.verdict == "regression"]

    def render(self) -> str:
        """A plain-text table, one line per difference."""
        lines = [
            f"{'framework/profile workload workers':<48} {'A req/s':>10} {'B req/s':>10} {'change':>9} {'noise':>8}  verdict"
        ]
        for d in self.differences:
            framework, profile, workload, workers = d.key
            name = f"{framework}/{profile} {workload} w{workers}"
            pct = d.change / d.before if d.before else 0.0
            lines.append(f"{name:<48} {d.before:>10,.0f} {d.after:>10,.0f} {pct:>+8.1%} {d.noise:>8,.0f}  {d.verdict}")
        for key in self.only_in_a:
            lines.append(f"{'/'.join(map(str, key)):<48} only in A")
        for key in self.only_in_b:
            lines.append(f"{'/'.join(map(str, key)):<48} only in B")
        lines.append(
            f"{len(self.regressions)} regression(s) beyond the noise"
            if self.regressions
            else "no regression beyond the noise"
        )
        return "\n".join(lines)


def _key(c: Capacity) -> tuple[str, str, str, int]:
    return (c.framework, c.profile, c.workload, c.workers)


def _noise(a: Capacity, b: Capacity) -> float:
    half_ranges = [((c.high or 0) - (c.low or 0)) / 2 for c in (a, b)]
    floor = FLOOR_MANY_REPEATS if min(len(a.per_repeat), len(b.per_repeat)) >= 3 else FLOOR_FEW_REPEATS
    return max(half_ranges) + floor * (a.median or 0)


def compare_runs(run_a: Path, run_b: Path) -> Comparison:
    """Compare B against the baseline A."""
    a = {_key(c): c for c in read_run(run_a).capacity if c.median is not None}
    b = {_key(c): c for c in read_run(run_b).capacity if c.median is not None}
    comparison = Comparison(only_in_a=sorted(a.keys() - b.keys()), only_in_b=sorted(b.keys() - a.keys()))
    for key in sorted(a.keys() & b.keys()):
        comparison.differences.append(Difference(key, a[key].median or 0, b[key].median or 0, _noise(a[key], b[key])))
    return comparison
