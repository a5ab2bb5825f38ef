"""Where a block's next round of constant-rate trials goes: a spread of rates around the capacity its trials so far
say (observatory.judging.estimate), placed anew every round.

The first round has only the closed-model probe: capacities lie at 0.6-1.0 of a 64-VU probe's
throughput (json and db on sync workers near 0.6-0.8, cpu, io and FastAPI db near 0.9-1.0), so it spreads its
trials over FIRST_ROUND of the probe. Later rounds centre on the estimate from every valid trial so far, spread as
wide as its 90 % interval (at least MIN_SPREAD, at most MAX_SPREAD either way), so trials land on the knee where
the fit learns most; a block whose trials all met the SLO climbs by CLIMB past its highest rate, one whose trials
all missed drops by the same factor below its lowest. No rate goes above the load generator's clean ceiling: a
capacity that reaches it is published as "≥" (judging.generator); a ceiling of 0 (k6 sent no rate of its ladder
cleanly, a busy host) caps nothing, and every miss above it is invalid for the generator. Tests: tests/run/test_rates.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from observatory.judging.estimate import Estimate, Point

FIRST_ROUND = (0.6, 1.0)  # of the probe's throughput: the first round's lowest and highest rate
MIN_SPREAD = 0.05
MAX_SPREAD = 0.2
CLIMB = 1.5


def spread(low: float, high: float, count: int) -> list[float]:
    """`count` rates from `low` to `high`, evenly on a log scale (one: their geometric middle)."""
    if count == 1:
        return [float(np.sqrt(low * high))]
    return [float(r) for r in np.geomspace(low, high, count)]


def next_rates(
    points: Sequence[Point], known: Estimate | None, probe_rps: float, count: int, ceiling: float | None = None
) -> list[float]:
    """The next round's rates, ascending and whole (see the module's docstring); `known` is the estimate from
    `points` (None before any trial)."""
    if not points or known is None:
        low, high = FIRST_ROUND[0] * probe_rps, FIRST_ROUND[1] * probe_rps
    elif known.censored == "above":
        top = max(p.rate for p in points)
        low, high = top * 1.1, top * CLIMB
    elif known.censored == "below":
        bottom = min(p.rate for p in points)
        low, high = bottom / CLIMB, bottom / 1.1
    else:
        assert known.value is not None
        width = max((known.value - (known.low or known.value)), ((known.high or known.value) - known.value))
        share = min(MAX_SPREAD, max(MIN_SPREAD, width / known.value))
        low, high = known.value * (1 - share), known.value * (1 + share)
    rates = spread(max(1.0, low), max(1.0, high), count)
    if ceiling:  # a ceiling of 0 (k6 sent no rate cleanly on a busy host) caps nothing: its guard still applies
        rates = [min(rate, ceiling) for rate in rates]
    return sorted({float(round(rate)) for rate in rates})
