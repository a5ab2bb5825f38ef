"""The capacity search: which constant rates to try, bracketing then bisecting (the verdicts are observatory.judging's)."""

from __future__ import annotations

from collections.abc import Callable

# The first rates tried, as fractions of the closed-model probe's throughput.
BRACKET = (0.7, 0.9, 1.1, 1.4, 2.0)


def search(probe_rps: float, steps: int, passes: Callable[[float], bool]) -> float | None:
    """Try up to `steps` rates; return the highest that passed, or None when none did.

    Starts below the probe's throughput and climbs the bracket until a rate fails, then bisects
    between the best pass and the lowest failure. If the first rate fails, it halves downwards.
    """
    best: float | None = None
    lowest_failure: float | None = None
    rate = max(1.0, probe_rps * BRACKET[0])
    bracket = iter(BRACKET[1:])
    for _ in range(steps):
        rate = float(round(rate))
        if passes(rate):
            best = rate
        else:
            lowest_failure = rate
        if lowest_failure is None:
            factor = next(bracket, None)
            rate = probe_rps * factor if factor else rate * 1.5
        elif best is None:
            rate = max(1.0, lowest_failure / 2)
            if rate == lowest_failure:
                break
        else:
            middle = (best + lowest_failure) / 2
            if lowest_failure - best <= max(1.0, best * 0.02):
                break
            rate = middle
    return best
