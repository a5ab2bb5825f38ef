"""Scaling curves: capacity against worker (or replica) count, a fitted scaling law, and where adding more stops paying.

The law is Gunther's Universal Scalability Law, C(n) = c1 * n / (1 + s * (n - 1) + k * n * (n - 1)): s is the share
of the work that does not parallelise (Amdahl's serial fraction), k the cost of coordination that grows with every
pair of workers, which makes a curve turn down. k is fitted only when the measured curve does turn down at its end
(and there are three counts or more); otherwise k = 0 and the law is Amdahl's. The fit weighs relative errors, so
a curve of small capacities counts as much as one of large capacities. Its uncertainty comes from refitting to
every repeat's capacity drawn at random (a bootstrap, seeded: the report is reproducible).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from observatory.results import Capacity, Run

# One more worker (or replica) that adds less than this share of what one alone serves no longer pays.
STOP_GAIN = 0.10
LIMIT = 1024  # counts searched; beyond this "no limit in sight"
BOOTSTRAP = 200
SERIAL_GRID = np.linspace(0.0, 1.0, 1001)
CROSSTALK_GRID = np.concatenate([[0.0], np.logspace(-5, 0, 101)])


@dataclass(frozen=True)
class Law:
    """One set of USL parameters (k = 0: Amdahl)."""

    c1: float
    serial: float
    crosstalk: float = 0.0

    def predict(self, n: float | np.ndarray) -> float | np.ndarray:
        """The capacity at `n` workers."""
        return self.c1 * n / (1 + self.serial * (n - 1) + self.crosstalk * n * (n - 1))

    def stops_paying_at(self) -> int | None:
        """The count N after which one more adds less than STOP_GAIN of one alone; None if not up to LIMIT."""
        n = np.arange(1, LIMIT + 1, dtype=float)
        gains = np.asarray(self.predict(n + 1)) - np.asarray(self.predict(n))
        below = np.nonzero(gains < STOP_GAIN * self.c1)[0]
        return int(n[below[0]]) if below.size else None

    def ceiling(self) -> float:
        """The highest capacity the law reaches at any count (Amdahl's asymptote c1 / s, or the USL peak)."""
        if self.crosstalk > 0:
            peak = math.sqrt((1 - self.serial) / self.crosstalk)
            return float(max(self.predict(max(1.0, math.floor(peak))), self.predict(max(1.0, math.ceil(peak)))))
        return math.inf if self.serial == 0 else self.c1 / self.serial

    def needed_for(self, rate: float) -> int | None:
        """The fewest workers whose capacity reaches `rate`; None if no count up to LIMIT does."""
        n = np.arange(1, LIMIT + 1, dtype=float)
        reaching = np.nonzero(np.asarray(self.predict(n)) >= rate)[0]
        return int(n[reaching[0]]) if reaching.size else None


@dataclass(frozen=True)
class Fit:
    """A scaling law fitted to one framework/profile/workload's capacities at several counts."""

    framework: str
    profile: str
    workload: str
    unit: str  # "workers" (local sweeps) or "replicas" (cluster sweeps)
    counts: list[int]
    capacities: list[float]  # medians over repeats
    lows: list[float]
    highs: list[float]
    law: Law
    samples: list[Law] = field(default_factory=list, repr=False)  # bootstrap refits; all equal with one repeat
    lower_bounds: list[bool] = field(default_factory=list)  # capacities that are only "at least" (≥)

    @property
    def name(self) -> str:
        """Amdahl or USL."""
        return "USL" if self.law.crosstalk > 0 else "Amdahl"

    def measured(self) -> str:
        """`1: 3,000, 2: ≥ 5,600`: each count's capacity, ≥ where it is a lower bound."""
        lows = self.lower_bounds or [False] * len(self.counts)
        return ", ".join(
            f"{n}: {'≥ ' if low else ''}{c:,.0f}" for n, c, low in zip(self.counts, self.capacities, lows, strict=True)
        )

    @property
    def repeated(self) -> bool:
        """Whether some count was measured in more than one round (so the bootstrap's bounds mean something)."""
        return bool(self.samples)

    def predict(self, n: float | np.ndarray) -> float | np.ndarray:
        """The fitted capacity at `n`."""
        return self.law.predict(n)

    @property
    def stops_paying_at(self) -> int | None:
        """Where one more worker adds less than STOP_GAIN of one alone (None: not up to LIMIT)."""
        return self.law.stops_paying_at()

    def stops_paying_bounds(self) -> tuple[int | None, int | None]:
        """The lowest and highest stopping count over the bootstrap (None as a high bound: beyond LIMIT)."""
        values = [s.stops_paying_at() for s in self.samples] or [self.stops_paying_at]
        finite = [v for v in values if v is not None]
        low = min(finite) if finite else None
        high = None if len(finite) < len(values) else max(finite)
        return low, high

    def verdict(self) -> str:
        """One sentence: where adding more stops paying, with bounds, and whether that is inside what was measured."""
        unit, top = self.unit, max(self.counts)
        measured = f"measured {min(self.counts)}–{top} {unit}"
        stop = self.stops_paying_at
        low, high = self.stops_paying_bounds()
        bounds = "" if not self.repeated else f" (bounds {_count(low)}–{_count(high)})"
        caveats = ""
        if len(self.counts) == 2:
            caveats += "; two counts only: the law passes through both, a third count would test it"
        if any(self.lower_bounds):
            caveats += "; some capacities are lower bounds (≥), so the curve may be steeper"
        if stop is None:
            return (
                f"scales near-linearly: up to {LIMIT} {unit}, one more still adds at least {STOP_GAIN:.0%} of one "
                f"alone{bounds}; {measured}, so beyond {top} this is extrapolated{caveats}"
            )
        if stop == 1:
            return (
                f"adding {unit} does not pay: a second one adds less than {STOP_GAIN:.0%} of one alone "
                f"({measured}){caveats}"
            )
        where = "inside the measured range" if stop < top else f"extrapolated beyond the measured {top}"
        return f"adding {unit} stops paying after {stop}{bounds}: {where} ({measured}){caveats}"


def _count(value: int | None) -> str:
    return f"> {LIMIT}" if value is None else str(value)


def _shapes(counts: np.ndarray, with_crosstalk: bool) -> tuple[np.ndarray, np.ndarray]:
    """Every (s, k) on the grid and the law's shape n / (1 + s(n-1) + k n(n-1)) at each count."""
    kappas = CROSSTALK_GRID if with_crosstalk else np.array([0.0])
    serial, crosstalk = (grid.ravel() for grid in np.meshgrid(SERIAL_GRID, kappas, indexing="ij"))
    keep = serial + crosstalk <= 1.0  # k and s both at most the whole of the work
    serial, crosstalk = serial[keep], crosstalk[keep]
    n = counts[None, :]
    shape = n / (1 + serial[:, None] * (n - 1) + crosstalk[:, None] * n * (n - 1))
    return np.stack([serial, crosstalk], axis=1), shape


def fit_laws(counts: Sequence[int], samples: np.ndarray, with_crosstalk: bool) -> list[Law]:
    """The least-squares law (relative errors) for each row of `samples` (capacities at `counts`)."""
    n = np.asarray(counts, dtype=float)
    params, shape = _shapes(n, with_crosstalk)
    weights = 1.0 / np.maximum(samples.mean(axis=0), 1e-9) ** 2
    weighted = shape * weights
    numerator = weighted @ samples.T  # (grid, samples)
    denominator = (weighted * shape).sum(axis=1)[:, None]
    error = (samples**2 * weights).sum(axis=1)[None, :] - numerator**2 / denominator
    best = np.argmin(error, axis=0)
    c1 = numerator[best, np.arange(samples.shape[0])] / denominator[best, 0]
    return [Law(float(c), float(params[b, 0]), float(params[b, 1])) for c, b in zip(c1, best, strict=True)]


def fit(counts: Sequence[int], capacities: Sequence[float]) -> Law:
    """The law fitted to one capacity per count (USL only where the curve turns down at its end)."""
    values = np.asarray([capacities], dtype=float)
    return fit_laws(counts, values, _turns_down(capacities))[0]


def _turns_down(capacities: Sequence[float]) -> bool:
    return len(capacities) >= 3 and capacities[-1] < max(capacities)


def fit_capacities(framework: str, profile: str, workload: str, unit: str, caps: list[Capacity], seed: int = 0) -> Fit:
    """A fit of capacities at two or more counts, with a seeded bootstrap over each count's repeats."""
    caps = sorted(caps, key=lambda c: c.workers)
    counts = [c.workers for c in caps]
    medians = [float(c.estimate or 0.0) for c in caps]
    law = fit(counts, medians)
    repeats = [[float(v or 0.0) for v in c.per_repeat] or [float(c.estimate or 0.0)] for c in caps]
    samples: list[Law] = []
    if any(len(r) > 1 for r in repeats):
        rng = np.random.default_rng(seed)
        drawn = np.array([[r[rng.integers(len(r))] for r in repeats] for _ in range(BOOTSTRAP)])
        drawn = np.maximum(drawn, 1e-9)
        samples = fit_laws(counts, drawn, _turns_down(medians))
    return Fit(framework, profile, workload, unit, counts, medians,
               [float(c.low if c.low is not None else c.estimate or 0.0) for c in caps],
               [float(c.high if c.high is not None else c.estimate or 0.0) for c in caps],
               law, samples, [c.lower_bound for c in caps])  # fmt: skip


def scaling_unit(run: Run) -> str:
    """What the run's counts are: replicas for an imported cluster sweep (kept in `workers`), else workers."""
    return "replicas" if run.settings.get("scaling_unit") == "replicas" else "workers"


def scaling_fits(run: Run) -> list[Fit]:
    """One fit per framework, profile and workload measured at two or more counts (workers, or replicas)."""
    groups: dict[tuple[str, str, str], list[Capacity]] = {}
    for cap in run.capacity:
        if cap.estimate:
            groups.setdefault((cap.framework, cap.profile, cap.workload), []).append(cap)
    unit = scaling_unit(run)
    return [
        fit_capacities(framework, profile, workload, unit, caps)
        for (framework, profile, workload), caps in sorted(groups.items())
        if len({c.workers for c in caps}) >= 2
    ]


def what_bounds_replicas(run: Run) -> str | None:
    """For a cluster replica sweep: what bounds its capacities. On kind every node is a container on one host, so
    adding replicas adds pods, not CPU, once the host's cores are busy; None for a local worker sweep."""
    if scaling_unit(run) != "replicas":
        return None
    cpus = run.environment.get("host_cpus")
    top = max((c.workers for c in run.capacity), default=1)
    if not cpus:
        return (
            "What bounds it: on kind, all nodes share the host's CPU (every node is a container on one host), so "
            "the services' replicas, k6, PostgreSQL and the control plane draw on the same cores; the summaries do not "
            "say how many (HOST_CPUS), so where replicas stop adding CPU is not known."
        )
    over = (
        f"this sweep asks for up to {top} replicas, more than the {cpus} cores there are, so beyond that the "
        f"capacity is bounded by the host's CPU, not by the replica count or the framework"
        if top >= int(cpus)
        else f"up to {top} replicas fit in those {cpus} cores only while k6 and the rest leave them room"
    )
    return (
        f"What bounds it: the benchmark's pods saw {cpus} CPU(s). On kind, all nodes share the host's CPU (every "
        f"node is a container on one host): the services' replicas, k6 on the load node, PostgreSQL and the "
        f"control plane draw on the same {cpus} cores, and more replicas add pods, not CPU: {over}."
    )


def why_not_measured(run: Run) -> str:
    """Why a run has no scaling curve, and the command that draws one."""
    pinning = run.environment.get("pinning", {})
    service_cores = len(pinning.get("service_cores", []) or [])
    cores = run.environment.get("cores", "?")
    counts = sorted({c.workers for c in run.capacity}) or run.settings.get("workers", [1])
    if scaling_unit(run) == "replicas":
        return (
            f"Not measured: this cluster run has capacities at {', '.join(map(str, counts))} replica(s) only. The "
            f"scheduled benchmark sweeps the counts in the load chart's replicaSweep.replicas (default 1, 2, 4); "
            f"import every ladder of the run with `observatory import-k6`."
        )
    if service_cores and service_cores < 2:
        return (
            f"Local scaling is not drawn: this machine has {cores} cores and gives the services {service_cores} "
            f"(k6 and Prometheus get the rest, so that the load generator never competes with the service). A second "
            f"worker would only share that one core, so the curve would show the machine, not the framework. On a "
            f"machine with 8 cores, `observatory run --workers 1,2,4` draws it (4 cores for the services, 4 for k6); "
            f"or import a cluster replica sweep with `observatory import-k6`."
        )
    return (
        f"Not measured: the run has capacities at {', '.join(map(str, counts))} worker(s) only. "
        f"`observatory run --workers auto` measures every count up to the services' {service_cores or '?'} cores."
    )
