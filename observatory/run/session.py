"""A whole run: Prometheus, then slot after slot (a round of one block on a fresh service process), results saved
after every trial.

Each slot's rates come from every valid trial of its block so far (observatory/run/rates.py): the first round's
from the closed-model probe, later rounds' from the block's fitted capacity. No trial is retried and none waits for
the host: an invalid trial is one point fewer, and a host stall only leaves a trial out of the fit (docs/judging.md).
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict
from datetime import UTC, datetime

from observatory.errors import ObservatoryError
from observatory.judging import from_trials
from observatory.judging.capacity import fitted, key_of
from observatory.judging.estimate import estimate
from observatory.noise import MAX_DURATION_S, Noise, schedule
from observatory.results import Run, Slot, Trial, save
from observatory.run.calibration import Calibration, calibrate, connection_mode
from observatory.run.environment import describe
from observatory.run.k6 import publish_capacity
from observatory.run.plan import Block, Pinning, RunOptions, blocks, pin_cores
from observatory.run.ports import free_port, require_free
from observatory.run.prometheus import LocalPrometheus, ScrapeTarget
from observatory.run.rates import next_rates
from observatory.run.run_sizes import measured_window_s
from observatory.run.service import ServiceProcess
from observatory.run.stalls import StallMeter
from observatory.run.trial import TrialContext, TrialSpec, run_trial
from service_common.stack import stack_record

TrialStarted = Callable[[TrialSpec], None]
TrialDone = Callable[[Trial], None]


def new_run_id() -> str:
    """`20261124-231500-ab12`: sortable by time, unique."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


class Session:
    """Runs the blocks of one run and owns every process it starts; leaving it stops them all."""

    def __init__(
        self,
        options: RunOptions,
        *,
        run_id: str | None = None,
        pinning: Pinning | None = None,
        on_start: TrialStarted | None = None,
        on_done: TrialDone | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        self.options = options
        self.run_id = run_id or new_run_id()
        self.run_dir = options.output / self.run_id
        self.pinning = pinning or pin_cores()
        self.rng = random.Random(options.seed)
        self.blocks = blocks(options, self.rng)
        self.on_start = on_start or (lambda spec: None)
        self.on_done = on_done or (lambda trial: None)
        self.on_note = on_note or (lambda text: None)
        self.run = Run(
            run_id=self.run_id,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            finished_at=None,
            status="running",
            error=None,
            environment={},
            settings=self._settings(),
            slo=asdict(options.slo),
        )
        self._stack = ExitStack()
        self._service: ServiceProcess | None = None
        self._probes: dict[tuple[str, str, str, int], float] = {}  # each block's probe throughput (its first slot)
        self._noise: Noise | None = None
        self._prometheus: LocalPrometheus | None = None
        self._stall_meter: StallMeter | None = None
        self._calibration: Calibration | None = None
        # Every service of the run listens on this one port, so Prometheus keeps one scrape target: changing targets
        # waits for its service discovery, which passes on changes at most every 5 s (4-5 s per service measured).
        self._service_port = free_port()

    def _settings(self) -> dict[str, object]:
        o = self.options
        return {
            "profiles": [p.key for p in o.profiles],
            "workloads": [w.name for w in o.workloads],
            "size": asdict(o.size),
            "rounds": o.repeats,
            "noise_seed": o.noise_seed,
            "workers": o.workers,
            "instrumentation": o.instrumentation,
            "seed": o.seed,
            "database": "postgresql" if o.database_url else "sqlite",
            "access_logs": False,
            "keep_alive": True,
            "order": [f"{b.profile.key} w{b.workers} {b.workload.name} #{b.repeat}" for b in self.blocks],
            # server and worker class, data layer, validation, JSON library, metrics mode (service_common.stack)
            "stacks": {p.key: stack_record(p, o.workers, o.instrumentation) for p in o.profiles},
            "plan": [
                {
                    "profile": b.profile.key,
                    "workers": b.workers,
                    "workload": b.workload.name,
                    "round": b.repeat,
                    "hash_seed": b.hash_seed,
                }
                for b in self.blocks
            ],
        }

    def __enter__(self) -> Session:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.run.environment = describe(self.pinning.as_dict())
        save(self.run, self.run_dir)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        self._stack.close()
        self.run.finished_at = datetime.now(UTC).isoformat(timespec="seconds")
        if exc is None:
            self.run.status = "complete"
        else:
            self.run.status = "partial"
            self.run.error = "interrupted by the user" if isinstance(exc, KeyboardInterrupt) else str(exc)
        self._summarise_capacity()
        save(self.run, self.run_dir)

    def execute(self) -> Run:
        """Calibrate the load generator (cached), then run every block in order; results are saved after each trial."""
        self._calibrate()
        self._stall_meter = self._stack.enter_context(
            StallMeter(sorted({*self.pinning.service, *self.pinning.load}), self.run_dir / "stalls")
        )
        self._prometheus = self._stack.enter_context(
            LocalPrometheus(self.run_dir / "prometheus", cores=self.pinning.load)
        )
        if self.options.noise_seed is not None:
            plan = schedule(self.options.noise_seed, MAX_DURATION_S)
            self._noise = self._stack.enter_context(Noise(plan, self.pinning.service, self.run_dir / "noise"))
            self.on_note(f"noise injector on core(s) {','.join(map(str, self.pinning.service))}, seed {plan.seed}")
        for block in self.blocks:
            service = self._service_for(block)
            self._run_slot(block, service)
            service.stop()
        self._summarise_capacity()
        publish_capacity(
            self._capacity_rows(), self.run_id, self._prometheus.remote_write_url, self.run_dir / "logs" / "k6.log"
        )
        return self.run

    def _calibrate(self) -> None:
        """The generator's clean ceiling for every workload and connection mode the run uses (cached per machine)."""
        needs = {(b.workload.name, connection_mode(b.profile.server, b.profile.config)) for b in self.blocks}
        self._calibration = calibrate(
            needs,
            self.options.slo.p99_ms,
            k6_cores=self.pinning.load,
            service_cores=self.pinning.service,
            work_dir=self.run_dir / "calibration",
            progress=self.on_note,
        )
        self.run.calibration = self._calibration.as_dict()
        save(self.run, self.run_dir)

    def _capacity_rows(self) -> list[dict[str, object]]:
        return [
            {"framework": c.framework, "profile": c.profile, "workload": c.workload, "workers": c.workers,
             "capacity_rps": c.estimate, "p99_seconds": c.p99_at_capacity}
            for c in self.run.capacity
            if c.estimate is not None
        ]  # fmt: skip

    def _service_for(self, block: Block) -> ServiceProcess:
        """A fresh service process for the slot, with the slot's hash seed."""
        assert self._prometheus is not None
        profile = block.profile
        env = {"PYTHONHASHSEED": str(block.hash_seed)}
        if self.options.database_url:
            env["DATABASE_URL"] = self.options.database_url
        service = ServiceProcess(
            profile,
            self.run_dir / "services" / f"{profile.framework}-{profile.name}-w{block.workers}-{block.workload.name}"
            f"-r{block.repeat}",
            port=require_free(self._service_port, f"{profile.key} (the run's service port)"),
            workers=block.workers,
            cores=self.pinning.service,
            instrumentation=self.options.instrumentation,
            env=env,
        )
        self._stack.callback(service.stop)
        self._service = service.__enter__()
        if self.options.instrumentation != "off":
            target = ScrapeTarget(f"127.0.0.1:{service.port}", {"run_id": self.run_id})
            if self._prometheus.targets != [target]:
                self._prometheus.set_targets([target])
                self._prometheus.wait_for_targets(1)
            # the trials read the service's own /metrics before and after (run/service_metrics.py): Prometheus's
            # scrapes are for the dashboards and the peaks of memory, so nothing waits for the next one here
        return service

    def _ceiling(self, block: Block) -> float | None:
        """k6's calibrated clean ceiling for the block's workload and connection mode (None: not calibrated)."""
        if self._calibration is None:
            return None
        return self._calibration.ceiling(
            block.workload.name, connection_mode(block.profile.server, block.profile.config)
        )

    def _context(self, service: ServiceProcess, block: Block | None = None) -> TrialContext:
        assert self._prometheus is not None
        ceiling = None if block is None else self._ceiling(block)
        return TrialContext(
            base_url=service.url,
            prometheus=self._prometheus,
            k6_cores=self.pinning.load,
            run_id=self.run_id,
            run_dir=self.run_dir,
            slo=self.options.slo,
            instrumented=self.options.instrumentation != "off",
            stall_meter=self._stall_meter,
            generator_ceiling_rps=ceiling,
            noise=self._noise,
        )

    def _spec(self, block: Block, scenario: str, duration: float, **level: object) -> TrialSpec:
        return TrialSpec(
            framework=block.profile.framework,
            profile=block.profile.name,
            workload=block.workload,
            workers=block.workers,
            repeat=block.repeat,
            scenario=scenario,
            duration_s=duration,
            **level,  # type: ignore[arg-type]
        )

    def _record(self, spec: TrialSpec, service: ServiceProcess, block: Block) -> Trial:
        self.on_start(spec)
        try:
            trial = run_trial(spec, self._context(service, block))
        except ObservatoryError:
            self._check_alive(service, spec, grace=1.0)  # a dead service is the cause to report, not k6's failure
            raise
        self._check_alive(service, spec)
        self.run.trials.append(trial)
        save(self.run, self.run_dir)
        self.on_done(trial)
        return trial

    @staticmethod
    def _check_alive(service: ServiceProcess, spec: TrialSpec, grace: float = 0.0) -> None:
        """Raise "died" when the service is gone (given `grace` seconds to be reaped after a failed trial)."""
        deadline = time.monotonic() + grace
        while service.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not service.alive():
            raise ObservatoryError(
                f"{service.name} died during trial {spec.trial_id} (exit code {service.exit_code()}): {service.log_tail()}"
            )

    def _run_slot(self, block: Block, service: ServiceProcess) -> None:
        """One round of one block: the probe in its first slot, then this round's rates, then (last round) sweeps."""
        size = self.options.size
        slot = Slot(block.profile.framework, block.profile.name, block.workload.name, block.workers, block.repeat,
                    block.hash_seed)  # fmt: skip
        self.run.slots.append(slot)
        if block.key not in self._probes:
            # the probe also warms the fresh service; each constant-rate trial warms its connections at its rate
            probe = self._record(self._spec(block, "sweep", size.probe_s, vus=size.probe_vus), service, block)
            self._probes[block.key] = slot.probe_rps = max(1.0, probe.achieved_rate)
        mine = [t for t in self.run.trials if key_of(t) == block.key]
        points = fitted(mine, self.options.slo).raw
        known = estimate(points, resamples=100) if points else None
        for rate in next_rates(points, known, self._probes[block.key], size.per_round, self._ceiling(block)):
            spec = self._spec(block, "constant", measured_window_s(size, rate), rate=rate, warmup_s=size.warmup_s)
            self._record(spec, service, block)
            slot.rates.append(rate)
        if block.repeat == self.options.repeats:
            for vus in size.sweep_vus:
                self._record(self._spec(block, "sweep", size.sweep_s, vus=vus), service, block)
        slot.finished = True
        save(self.run, self.run_dir)

    def _summarise_capacity(self) -> None:
        self.run.capacity = from_trials(self.run.trials, self.options.slo)
