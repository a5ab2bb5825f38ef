"""Scaling curves: capacity against worker count, an Amdahl fit, and where adding workers stops paying."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from observatory.results import Run

STOP_GAIN = 0.10  # a worker that adds less than 10% capacity no longer pays


@dataclass(frozen=True)
class Fit:
    """Amdahl's law fitted to measured capacities: C(n) = c1 * n / (1 + s * (n - 1))."""

    framework: str
    profile: str
    workload: str
    workers: list[int]
    capacities: list[float]
    c1: float
    serial: float

    def predict(self, n: float) -> float:
        """The fitted capacity at `n` workers."""
        return self.c1 * n / (1 + self.serial * (n - 1))

    @property
    def stops_paying_at(self) -> int | None:
        """The first worker count after which one more worker adds less than 10%."""
        for n in range(1, 257):
            if self.predict(n + 1) / self.predict(n) - 1 < STOP_GAIN:
                return n
        return None


def fit(workers: list[int], capacities: list[float]) -> tuple[float, float]:
    """Least-squares (c1, serial fraction) over a grid of serial fractions; c1 solved exactly for each."""
    n = np.array(workers, dtype=float)
    c = np.array(capacities, dtype=float)
    best = (float(c[0]), 1.0, float("inf"))
    for serial in np.linspace(0.0, 1.0, 1001):
        shape = n / (1 + serial * (n - 1))
        c1 = float(shape @ c / (shape @ shape))
        error = float(((c1 * shape - c) ** 2).sum())
        if error < best[2]:
            best = (c1, float(serial), error)
    return best[0], best[1]


def scaling_fits(run: Run) -> list[Fit]:
    """One fit per framework, profile and workload measured at two or more worker counts."""
    groups: dict[tuple[str, str, str], dict[int, float]] = {}
    for cap in run.capacity:
        if cap.median:
            groups.setdefault((cap.framework, cap.profile, cap.workload), {})[cap.workers] = cap.median
    fits = []
    for (framework, profile, workload), points in sorted(groups.items()):
        if len(points) < 2:
            continue
        workers = sorted(points)
        capacities = [points[w] for w in workers]
        c1, serial = fit(workers, capacities)
        fits.append(Fit(framework, profile, workload, workers, capacities, c1, serial))
    return fits
