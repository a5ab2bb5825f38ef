"""One trial: a k6 run at one load level against one running service, measured on both sides and judged
(by observatory.judging)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from observatory import queries
from observatory.judging import Slo, judge
from observatory.judging.host import stall_bound_ms
from observatory.k6_summaries import record_client_side
from observatory.noise import Noise
from observatory.results import Latency, Trial
from observatory.run import service_metrics
from observatory.run.calibration import vus_for
from observatory.run.k6 import K6Settings, run_k6
from observatory.run.prometheus import LocalPrometheus
from observatory.run.stalls import StallMeter
from observatory.workload_catalog import Workload
from service_common import metric_names as names

QUANTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}


@dataclass(frozen=True)
class TrialSpec:
    """What to run: one service configuration, one workload, one load level."""

    framework: str
    profile: str
    workload: Workload
    workers: int
    repeat: int
    scenario: str
    duration_s: float
    rate: float | None = None
    vus: int | None = None
    attempt: int = 1
    # constant rate only: first send this long at the same rate, unmeasured, in the same k6 process, so connections
    # are open and pools full when the measured window starts (observatory.run.run_sizes.TRIAL_WARMUP_S)
    warmup_s: float = 0.0

    @property
    def trial_id(self) -> str:
        """A readable unique id, also used as k6's testid suffix."""
        level = f"r{self.rate:g}" if self.rate is not None else f"v{self.vus}"
        again = f".a{self.attempt}" if self.attempt > 1 else ""
        return f"{self.framework}.{self.profile}.{self.workload.name}.w{self.workers}.{self.scenario}.{level}.n{self.repeat}{again}"


@dataclass(frozen=True)
class TrialContext:
    """Where a trial runs: the service, Prometheus, k6's cores and the run's folders."""

    base_url: str
    prometheus: LocalPrometheus
    k6_cores: Sequence[int]
    run_id: str
    run_dir: Path
    slo: Slo
    instrumented: bool
    stall_meter: StallMeter | None = None
    generator_ceiling_rps: float | None = None  # k6's calibrated clean ceiling for this workload and service
    noise: Noise | None = None  # the noise injector, when the run has one


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


def _max_vus(spec: TrialSpec, slo: Slo) -> int:
    """Enough VUs for the rate at twice the SLO's latency, so drops mean the generator, not the budget (the
    calibration's rule too)."""
    assert spec.rate is not None
    return vus_for(spec.rate, slo.p99_ms)


def k6_settings(spec: TrialSpec, context: TrialContext) -> K6Settings:
    """The k6 run for a trial."""
    open_model = spec.rate is not None
    return K6Settings(
        base_url=context.base_url,
        workload=spec.workload.name,
        scenario=spec.scenario,
        testid=f"{context.run_id}.{spec.trial_id}",
        run_id=context.run_id,
        framework=spec.framework,
        profile=spec.profile,
        workers=spec.workers,
        duration_s=spec.duration_s,
        rate=spec.rate,
        vus=spec.vus,
        pre_vus=_max_vus(spec, context.slo) if open_model else None,  # allocating VUs mid-run would drop iterations
        max_vus=_max_vus(spec, context.slo) if open_model else None,
        slo_p99_ms=context.slo.p99_ms,
        slo_error_rate=context.slo.error_rate,
        warmup_s=spec.warmup_s if spec.scenario == "constant" else 0.0,
    )


def run_trial(spec: TrialSpec, context: TrialContext, *, max_vus: int | None = None) -> Trial:
    """Run the trial and return it measured and judged (valid or not, SLO met or not)."""
    prom = context.prometheus
    service = {"framework": spec.framework, "profile": spec.profile}
    route = {**service, "route": spec.workload.route}
    before = service_metrics.read(context.base_url) if context.instrumented else None
    settings = k6_settings(spec, context)
    if max_vus is not None:
        settings = K6Settings(
            **{**settings.__dict__, "max_vus": max_vus, "pre_vus": min(max_vus, settings.pre_vus or 1)}
        )
    started = time.time()
    outcome = run_k6(
        settings,
        context.run_dir / "k6" / f"{spec.trial_id}.json",
        context.run_dir / "logs" / "k6.log",
        cores=context.k6_cores,
        remote_write_url=prom.remote_write_url,
    )
    ended, load_ended = time.time(), time.monotonic()
    window = f"{math.ceil(time.time() - started) + 1}s"
    trial = Trial(
        trial_id=spec.trial_id,
        framework=spec.framework,
        profile=spec.profile,
        workload=spec.workload.name,
        workers=spec.workers,
        repeat=spec.repeat,
        scenario=spec.scenario,
        offered_rate=spec.rate,
        vus=spec.vus,
        duration_s=spec.duration_s,
        started_at=_iso(started),
        ended_at=_iso(ended),
        max_vus=settings.max_vus,
        attempt=spec.attempt,
        k6_cpu_wait=outcome.load_cpu_wait,
        warmup_requests=outcome.warmup_requests,
        generator_ceiling_rps=context.generator_ceiling_rps if spec.scenario == "constant" else None,
    )
    record_client_side(trial, outcome.summary, spec.duration_s, outcome.busy_cores / max(1, len(context.k6_cores)))
    if before is not None:  # first: the stall meters' next reports come meanwhile
        sent = before.served(route) + trial.client_requests + (trial.warmup_requests or 0)
        after = service_metrics.read_after(context.base_url, route, at_least=sent)
        _server_side(trial, before, after, route, service)
        _memory_peaks(trial, prom, window, service, before, after)
    if context.stall_meter is not None:  # the measured window: the last duration_s seconds of k6's life
        stalls = context.stall_meter.window(load_ended - spec.duration_s, load_ended)
        trial.host_stalls = stalls.as_dict(stall_bound_ms(context.slo))
        # the service's cores (all of them when k6 shares the only one): the share of a usual core they had
        mine = [c for c in stalls.cores if c.core not in context.k6_cores] or list(stalls.cores)
        shares = [s for c in mine if (s := c.host_share) is not None]
        trial.host_stalls["service_share"] = round(min(shares), 3) if shares else None
        if context.noise is not None:
            stolen = context.noise.stolen_share(load_ended - spec.duration_s, load_ended)
            trial.host_stalls["injected_share"] = None if stolen is None else round(stolen, 3)
    return judge(trial, context.slo)


def _server_side(
    trial: Trial,
    before: service_metrics.Snapshot,
    after: service_metrics.Snapshot,
    route: dict[str, str],
    service: dict[str, str],
) -> None:
    """Served count, latency quantiles and CPU seconds: the differences between the snapshots around the trial."""
    trial.server_requests = round(after.served(route) - before.served(route))
    start, end = before.buckets(route), after.buckets(route)
    trial.server_latency = Latency(**{name: service_metrics.quantile(q, start, end) for name, q in QUANTILES.items()})
    cpu_before, cpu_after = before.cpu_seconds(service), after.cpu_seconds(service)
    if cpu_before is not None and cpu_after is not None:
        trial.cpu_seconds = cpu_after - cpu_before
        if trial.server_requests:
            trial.cpu_seconds_per_1k = trial.cpu_seconds / trial.server_requests * 1000


def _memory_peaks(
    trial: Trial,
    prom: LocalPrometheus,
    window: str,
    service: dict[str, str],
    *snapshots: service_metrics.Snapshot,
) -> None:
    """Peak RSS and PSS over the trial: the highest of Prometheus's scrapes in the window and of the snapshots."""
    matchers = queries.Matchers.of(**service)
    for attribute, query, metric in (
        ("peak_rss_bytes", queries.peak_resident_memory, names.RESIDENT_MEMORY),
        ("peak_pss_bytes", queries.peak_proportional_memory, names.PROPORTIONAL_MEMORY),
    ):
        seen = [prom.query_value(query(matchers, window)), *(s.collector_total(metric, service) for s in snapshots)]
        known = [v for v in seen if v is not None]
        setattr(trial, attribute, max(known) if known else None)
