"""A simulated service of known capacity, for the estimator's coverage (tests/judging/test_coverage.py).

Its p99 follows a queue: FLOOR + a / (1 - rate / saturation), with the saturation set so the p99 meets the SLO
exactly at the true capacity R (rho = 0.9 there); past saturation it is the trial's length (a severity far above
the band). Every trial's p99 carries a lognormal jitter, and some trials meet a stall that multiplies it; the stall
rule (judging.host) sees most of them and leaves them out. With the injector the jitter and the stalls are worse,
and a CPU-bound service's capacity follows the share of the core the host leaves (0.6 in a 40 % phase), which the
meters measure to within a few per cent.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from observatory.judging.estimate import BAND, Estimate, Point, estimate
from observatory.run.rates import next_rates

FLOOR_S = 0.005
SLO_S = 0.1
RHO_AT_CAPACITY = 0.9


@dataclass(frozen=True)
class Host:
    """How noisy the simulated host is."""

    jitter: float = 0.12  # sd of ln p99 between trials
    stall_chance: float = 0.05  # a trial meets a stall
    stall_seen: float = 0.85  # the meters see it (the trial is left out)
    steal_share: float = 0.0  # the share taken in a loud phase (0.4 with the injector)
    loud_chance: float = 0.0  # a trial runs in a loud phase
    cpu_bound: bool = False  # the capacity follows the core's share (a framework), or not (a rate limiter)
    share_error: float = 0.03  # sd of the meters' measured share


QUIET = Host()
INJECTED = Host(jitter=0.25, stall_chance=0.15, steal_share=0.4, loud_chance=0.5)


def severity(rate: float, capacity: float, rng: random.Random, host: Host) -> tuple[float, bool, float]:
    """One trial: its severity, whether a stall the meters saw hit it, and the core share they measured."""
    share = 1 - host.steal_share if rng.random() < host.loud_chance else 1.0
    effective = capacity * share if host.cpu_bound else capacity
    saturation = effective / RHO_AT_CAPACITY
    a = (SLO_S - FLOOR_S) * (1 - RHO_AT_CAPACITY)
    p99 = FLOOR_S + a / (1 - rate / saturation) if rate < saturation else 10 * BAND * SLO_S
    p99 *= math.exp(rng.gauss(0, host.jitter))
    seen = False
    if rng.random() < host.stall_chance:
        p99 *= rng.uniform(1.5, 4.0)
        seen = rng.random() < host.stall_seen
    measured = share * math.exp(rng.gauss(0, host.share_error))
    return p99 / SLO_S, seen, measured


def run_block(capacity: float, host: Host, seed: int, rounds: int = 3, per_round: int = 3) -> tuple[Estimate, Estimate]:
    """Place and run `rounds` rounds as a run does; the raw and the host-normalised estimate."""
    rng = random.Random(seed)
    probe = capacity * rng.uniform(1.0, 1.6)  # a 64-VU probe's throughput lies above the capacity
    raw: list[Point] = []
    normal: list[Point] = []
    known: Estimate | None = None
    for _ in range(rounds):
        for rate in next_rates(raw, known, probe, per_round):
            value, stalled, share = severity(rate, capacity, rng, host)
            if stalled:
                continue
            raw.append(Point(rate, value))
            normal.append(Point(rate / share, value))
        known = estimate(raw, resamples=100)
    return estimate(raw), estimate(normal)


def covers(found: Estimate, truth: float) -> bool:
    """Whether the interval holds the true capacity (a censored one: its open side counts as holding it)."""
    low = found.low if found.low is not None else 0.0
    high = found.high if found.high is not None else math.inf
    return low <= truth <= high
