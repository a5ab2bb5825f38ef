"""What each k6 option costs on this machine: k6's CPU per 1,000 requests and its own p99, option by option.

k6 runs loadtests/benchmark.js (constant arrival rate, the trials' warm-up and VUs) against the null target
(nginx on the service cores, observatory/run/null_target.py), pinned as a run pins it. Every variant changes one
thing from the harness's defaults; all are measured in the same run, in a fresh shuffled order each round, and the
table gives the median of each figure and its ratio to the defaults. CPU per 1,000 requests is k6's CPU seconds
over the measured window divided by the requests it sent then: what a variant saves is what k6 can spend on a
higher rate before its clean ceiling.

    .venv/bin/python benchmarks/k6_options.py                      # about 4 minutes on 2 cores
    .venv/bin/python benchmarks/k6_options.py --rate 1000 --rounds 1 --duration 3
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from observatory import tools
from observatory.errors import ObservatoryError
from observatory.run.calibration import vus_for
from observatory.run.environment import cpu_model
from observatory.run.k6 import K6Settings, run_k6
from observatory.run.null_target import CLOSE, KEEP_ALIVE, NullTarget
from observatory.run.plan import pin_cores
from observatory.run.prometheus import LocalPrometheus

MINIMAL_TAGS = "scenario,status,method,name,expected_response"  # what the thresholds and dashboards read


@dataclass(frozen=True)
class Variant:
    """One change from the harness's defaults."""

    name: str
    checks: str = "body"
    env: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    vus_factor: float = 1.0  # times the trials' VU pool
    remote_write: bool = False


VARIANTS = [
    Variant("defaults (body checks, bodies kept)"),
    Variant("status check only, bodies kept", checks="status", env={"K6_DISCARD_RESPONSE_BODIES": "false"}),
    Variant("status check only, bodies discarded", checks="status"),
    Variant("no checks, bodies discarded", checks="none"),
    Variant("status and body of 1 iteration in 10 (sampled)", checks="sampled"),
    Variant(f"system tags: {MINIMAL_TAGS}", env={"K6_SYSTEM_TAGS": MINIMAL_TAGS}),
    Variant("summary: p(99) only", env={"K6_SUMMARY_TREND_STATS": "p(99)"}),
    Variant("--no-thresholds", args=("--no-thresholds",)),
    Variant("VUs x 0.25", vus_factor=0.25),
    Variant("VUs x 4 (at most 1,000)", vus_factor=4.0),
    Variant("remote write, push every 1 s", remote_write=True, env={"K6_PROMETHEUS_RW_PUSH_INTERVAL": "1s"}),
    Variant("remote write, push every 5 s", remote_write=True, env={"K6_PROMETHEUS_RW_PUSH_INTERVAL": "5s"}),
]


@dataclass
class Sample:
    """One variant measured once."""

    cpu_per_1k: float
    p99_ms: float
    dropped: int


def measure(variant: Variant, target: NullTarget, rate: float, duration: float, k6_cores: list[int], work: Path,
            remote_write_url: str | None) -> Sample:  # fmt: skip
    """k6 with the variant at `rate` for `duration` seconds after a 1 s warm-up."""
    vus = max(10, min(1000, round(vus_for(rate, 100.0) * variant.vus_factor)))
    settings = K6Settings(
        base_url=target.url, workload="json", scenario="constant", testid="k6-options", run_id="k6-options",
        framework="null-target", profile=f"nginx-{target.mode}", duration_s=duration, rate=rate, pre_vus=vus,
        max_vus=vus, warmup_s=1.0, checks=variant.checks,
    )  # fmt: skip
    outcome = run_k6(
        settings, work / "summary.json", work / "k6.log", cores=k6_cores,
        remote_write_url=remote_write_url if variant.remote_write else None,
        extra_env=variant.env, extra_args=variant.args,
    )  # fmt: skip
    if outcome.load_cpu_cores is None:
        raise ObservatoryError("k6 ran too briefly to sample its CPU; use a longer --duration")
    sent = rate - outcome.metric("dropped_iterations", "count") / duration
    return Sample(
        cpu_per_1k=outcome.load_cpu_cores / max(1.0, sent) * 1000,
        p99_ms=outcome.metric("http_req_duration", "p(99)"),
        dropped=int(outcome.metric("dropped_iterations", "count")),
    )


def main(argv: list[str] | None = None) -> int:
    """Measure every variant, print the table of medians and ratios to the defaults."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=1500, help="requests per second offered")
    parser.add_argument("--duration", type=float, default=4.0, help="measured seconds per variant and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each in a fresh shuffled order")
    parser.add_argument("--mode", choices=[KEEP_ALIVE, CLOSE], default=KEEP_ALIVE, help="the null target's connections")
    parser.add_argument("--seed", type=int, default=None, help="seed of the shuffles")
    args = parser.parse_args(argv)
    console = Console(width=200)
    pinning = pin_cores()
    rng = random.Random(args.seed)
    samples: dict[str, list[Sample]] = {v.name: [] for v in VARIANTS}
    try:
        tools.require("k6")
        with tempfile.TemporaryDirectory(prefix="k6-options-") as tmp:
            work = Path(tmp)
            with (
                LocalPrometheus(work / "prometheus", cores=pinning.load) as prometheus,
                NullTarget(work / "nginx", args.mode, cores=pinning.service) as target,
                Progress(console=console, transient=True) as progress,
            ):
                task = progress.add_task("k6 options", total=args.rounds * len(VARIANTS))
                rw_url = prometheus.remote_write_url
                for _ in range(args.rounds):
                    order = list(VARIANTS)
                    rng.shuffle(order)
                    for variant in order:
                        progress.update(task, description=variant.name)
                        sample = measure(variant, target, args.rate, args.duration, pinning.load, work, rw_url)
                        samples[variant.name].append(sample)
                        progress.advance(task)
    except ObservatoryError as error:
        print(f"k6_options: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("k6_options: interrupted; every process started was stopped", file=sys.stderr)
        return 130
    console.print(table(samples, args))
    return 0


def table(samples: dict[str, list[Sample]], args: argparse.Namespace) -> Table:
    """Medians per variant and their ratio to the defaults."""
    base_name = VARIANTS[0].name
    base_cpu = statistics.median(s.cpu_per_1k for s in samples[base_name])
    base_p99 = statistics.median(s.p99_ms for s in samples[base_name])
    result = Table(
        title=f"k6 options at {args.rate:,.0f} req/s ({args.mode}, json, {args.duration:g} s x {args.rounds} rounds) "
        f"on {cpu_model()}; k6 pinned to one core, nginx to the other; the machine may be shared",
    )
    for column in ("variant", "k6 CPU s / 1k req", "ratio", "k6 p99 ms", "ratio", "dropped (max)"):
        result.add_column(column, justify="left" if column == "variant" else "right")
    for variant in VARIANTS:
        runs = samples[variant.name]
        cpu = statistics.median(s.cpu_per_1k for s in runs)
        p99 = statistics.median(s.p99_ms for s in runs)
        result.add_row(
            variant.name, f"{cpu:.3f}", f"{cpu / base_cpu:.2f}", f"{p99:.2f}", f"{p99 / base_p99:.2f}",
            str(max(s.dropped for s in runs)),
        )  # fmt: skip
    return result


if __name__ == "__main__":
    sys.exit(main())
