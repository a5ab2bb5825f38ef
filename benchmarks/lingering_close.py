"""What gunicorn's lingering close costs a sync worker: saturated req/s with gunicorn's close and with a bare close.

Since gunicorn 26.0.0 (pull request 3590, RFC 9112 section 9.6) a worker ends every connection by half-closing it and
reading until the client closes its side (at most 2 s or 64 KB), so that unread request bytes cannot turn the close
into a reset. A sync worker serves one connection at a time and keeps no connection alive, so every request also
holds the worker for one round trip to the client: the client must read the response and close before the worker
accepts the next connection. The capacity a run publishes for a sync profile therefore includes how fast the
client (k6 here, a proxy in production) closes.

This benchmark measures that share. Each service runs one sync worker pinned to the first core, with metrics on as
in a run; k6 is pinned to the other core and keeps 32 connections' worth of requests waiting (a closed-model sweep),
so the served rate is the worker's ceiling. "bare close" starts the same service with gunicorn's `util.close_graceful` replaced
by a plain close (a `sitecustomize` on the service's PYTHONPATH, in this benchmark only): never a setting of
the observatory, whose runs serve with gunicorn as it ships. Both modes of a service are measured in one run,
interleaved in shuffled rounds; the table gives the medians, their ratio, the service's CPU per request, and the
share of its core it kept busy (the rest waited).

    .venv/bin/python benchmarks/lingering_close.py                       # about 2 minutes on 2 cores
    .venv/bin/python benchmarks/lingering_close.py --services flask --repeats 5
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from common import listed, measured, service_and_load_cores, shuffle_seed
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from observatory.errors import ObservatoryError
from observatory.k6_summaries import completed_in_window
from observatory.run import service_metrics
from observatory.run.environment import cpu_model, package_versions
from observatory.run.k6 import K6Settings, run_k6
from observatory.run.service import ServiceProcess
from service_common.profiles import find_profile

SERVICES = {"flask": "flask", "django": "django", "baseline-wsgi": "baseline-wsgi"}
PROFILE = "gunicorn-sync"
MODES = ("gunicorn's close", "bare close")
BARE_CLOSE = '''"""benchmarks/lingering_close.py: gunicorn without its lingering close, for this benchmark only."""
from gunicorn import util

util.close_graceful = lambda sock, *args, **kwargs: util.close(sock)
'''


@dataclass(frozen=True)
class Sample:
    """One measured window of one service in one mode."""

    served_rps: float
    cpu_us_per_request: float
    core_busy: float
    k6_busy: float


def sweep(
    service: ServiceProcess, name: str, args: argparse.Namespace, work: Path, seconds: float
) -> tuple[float, float]:
    """A closed-model sweep of `args.vus` VUs: requests completed within the window per second, and k6's core share."""
    settings = K6Settings(
        base_url=service.url, workload="json", scenario="sweep", testid=f"linger-{name}", run_id="linger",
        framework=name, profile=PROFILE, duration_s=seconds, vus=args.vus,
    )  # fmt: skip
    outcome = run_k6(settings, work / "summary.json", work / "k6.log", cores=args.load_cores)
    failed = outcome.metric("http_req_failed", "rate")
    if failed > 0:
        raise ObservatoryError(f"{name}: {failed:.1%} of requests failed; see {work / 'k6.log'}")
    served = completed_in_window(int(outcome.metric("http_reqs", "count")), "sweep", args.vus)
    return served / seconds, outcome.busy_cores / len(args.load_cores)


def measure(service: ServiceProcess, name: str, args: argparse.Namespace, work: Path) -> Sample:
    """Warm up, then one measured sweep; CPU per request from the service's own /metrics around it."""
    sweep(service, name, args, work, args.warmup)
    before = service_metrics.read(service.url)
    served_rps, k6_busy = sweep(service, name, args, work, args.duration)
    after = service_metrics.read(service.url)
    cpu = (after.cpu_seconds({}) or 0.0) - (before.cpu_seconds({}) or 0.0)
    requests = after.served({}) - before.served({})
    per_request = cpu / requests if requests else 0.0
    return Sample(served_rps, 1e6 * per_request, served_rps * per_request, k6_busy)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", default="flask,django", help=f"comma-separated, from {','.join(SERVICES)}")
    parser.add_argument("--vus", type=int, default=32, help="concurrent k6 users, enough to queue [%(default)s]")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds measured per window [%(default)s]")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of unmeasured load first [%(default)s]")
    parser.add_argument("--repeats", type=int, default=3, help="shuffled rounds; medians are reported [%(default)s]")
    parser.add_argument("--seed", type=int, default=None, help="shuffle seed (printed)")
    args = parser.parse_args()
    args.services = listed(args.services)
    unknown = [s for s in args.services if s not in SERVICES]
    if unknown or args.repeats < 1 or args.duration <= 0 or args.vus < 2:
        parser.error(f"unknown --services {unknown}, or --repeats/--duration/--vus too small")
    args.service_cores, args.load_cores = service_and_load_cores(parser)
    args.seed = shuffle_seed(args.seed)
    return args


def service_env(mode: str, bare_close_dir: Path) -> dict[str, str]:
    """The environment a mode adds: the bare close's sitecustomize on the PYTHONPATH, or nothing."""
    if mode == "gunicorn's close":
        return {}
    return {"PYTHONPATH": os.pathsep.join(p for p in (str(bare_close_dir), os.environ.get("PYTHONPATH", "")) if p)}


def main() -> int:
    args = parse()
    console = Console() if Console().is_terminal else Console(width=132)
    rng = random.Random(args.seed)
    rounds = [[(s, m) for s in args.services for m in MODES] for _ in range(args.repeats)]
    for blocks in rounds:
        rng.shuffle(blocks)
    versions = ", ".join(f"{name} {version}" for name, version in package_versions().items() if version)
    console.print(f"{cpu_model()}; Python {sys.version.split()[0]}; {versions}")
    console.print(
        f"one sync worker on core {args.service_cores}, k6 on {args.load_cores} with {args.vus} VUs; "
        f"{args.repeats} round(s) of {args.warmup:g} s + {args.duration:g} s, seed {args.seed}"
    )
    samples: dict[tuple[str, str], list[Sample]] = {}

    def measure_all() -> None:
        with tempfile.TemporaryDirectory(prefix="linger-") as tmp, Progress(console=console) as progress:
            bare_close_dir = Path(tmp) / "bare-close"
            bare_close_dir.mkdir()
            (bare_close_dir / "sitecustomize.py").write_text(BARE_CLOSE)
            task = progress.add_task("measuring", total=sum(len(b) for b in rounds))
            for blocks in rounds:
                for name, mode in blocks:
                    progress.update(task, description=f"{name} · {mode}")
                    work = Path(tmp) / f"{name}-{MODES.index(mode)}"
                    service = ServiceProcess(
                        find_profile(SERVICES[name], PROFILE), work, workers=1, cores=args.service_cores,
                        instrumentation="metrics", env=service_env(mode, bare_close_dir),
                    )  # fmt: skip
                    with service:
                        service.wait_ready()
                        samples.setdefault((name, mode), []).append(measure(service, name, args, work))
                    progress.advance(task)

    code = measured(console, measure_all)
    if code:
        return code
    console.print(report(args, samples))
    return 0


def report(args: argparse.Namespace, samples: dict[tuple[str, str], list[Sample]]) -> Table:
    table = Table(title="A sync worker's ceiling with gunicorn's lingering close and with a bare close (medians)")
    for column in ("service", "close", "served req/s", "ratio", "CPU µs / request", "worker core busy", "spread"):
        table.add_column(column, justify="left" if column in ("service", "close") else "right")
    for name in args.services:
        reference = statistics.median(s.served_rps for s in samples[(name, MODES[1])])
        for mode in MODES:
            values = samples[(name, mode)]
            rates = [s.served_rps for s in values]
            median = statistics.median(rates)
            k6 = " k6!" if max(s.k6_busy for s in values) >= 0.9 else ""
            table.add_row(
                name, mode, f"{median:,.0f}{k6}", f"{median / reference:.2f}",
                f"{statistics.median(s.cpu_us_per_request for s in values):.0f}",
                f"{statistics.median(s.core_busy for s in values):.0%}",
                f"±{(max(rates) - min(rates)) / 2 / median:.0%}",
            )  # fmt: skip
    table.caption = (
        "ratio: to the bare close. worker core busy: served req/s x CPU per request; the rest of its core waited, "
        "mostly for the client's close. k6!: k6 used ≥ 90% of its core, so the bare close's ceiling may be k6's."
    )
    return table


if __name__ == "__main__":
    sys.exit(main())
