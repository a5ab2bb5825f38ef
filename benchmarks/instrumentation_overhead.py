"""What the instrumentation costs: requests per second of every service with it off, metrics only, and traced.

Each service runs one worker pinned to the first core; k6 (a closed-model sweep: fixed VUs, each sending its
next request as soon as the last one answered) is pinned to the other. Every mode of a service is measured
in the same run, in a shuffled order, repeated; the table gives the median rate and each mode's ratio to
`off`. Traced modes export over OTLP/HTTP to a sink in this process, so the exporter's work is counted.

    .venv/bin/python benchmarks/instrumentation_overhead.py              # about 20 minutes on 2 cores
    .venv/bin/python benchmarks/instrumentation_overhead.py --duration 5 --repeats 1 --services flask

Target: metrics only costs at most 10% of json throughput for every service. Tracing's cost is reported.
"""

from __future__ import annotations

import argparse
import http.server
import random
import statistics
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from common import listed, measured, service_and_load_cores, shuffle_seed
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from observatory.errors import ObservatoryError
from observatory.run.environment import cpu_model, package_versions
from observatory.run.k6 import K6Settings, run_k6
from observatory.run.service import ServiceProcess
from service_common.profiles import find_profile

SERVICES = {
    "fastapi": ("fastapi", "uvicorn"),
    "flask": ("flask", "gunicorn-sync"),
    "django": ("django", "gunicorn-sync"),
    "baseline-asgi": ("baseline-asgi", "uvicorn"),
    "baseline-wsgi": ("baseline-wsgi", "gunicorn-sync"),
}
DATABASE_FREE = {"baseline-asgi", "baseline-wsgi"}


@dataclass(frozen=True)
class Mode:
    """One instrumentation setting, as the services' environment."""

    name: str
    instrumentation: str
    sample_ratio: str = "0.01"


MODES = [
    Mode("off", "off"),
    Mode("metrics", "metrics"),
    Mode("traces 0.01", "full", "0.01"),
    Mode("traces 1", "full", "1"),
]


class OtlpSink(http.server.BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP exports and drops them: the exporter does its full work, nothing is stored."""

    exports = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).exports += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def measure(
    service: ServiceProcess, name: str, workload: str, args: argparse.Namespace, work: Path
) -> tuple[float, float]:
    """Requests per second and k6's CPU share over one closed-model sweep."""
    settings = K6Settings(
        base_url=service.url, workload=workload, scenario="sweep", testid=f"overhead-{name}-{workload}",
        run_id="overhead", framework=name, profile=service.profile.name, duration_s=args.duration, vus=args.vus,
    )  # fmt: skip
    outcome = run_k6(settings, work / "summary.json", work / "k6.log", cores=args.load_cores)
    count = outcome.metric("http_reqs", "count")
    failed = outcome.metric("http_req_failed", "rate")
    if failed > 0:
        raise ObservatoryError(f"{name} {workload}: {failed:.1%} of requests failed; see {work / 'k6.log'}")
    return count / args.duration, outcome.busy_cores / len(args.load_cores)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", default=",".join(SERVICES), help="comma-separated, from: %(default)s")
    parser.add_argument("--workloads", default="json,db", help="json and/or db (baselines have no db) [%(default)s]")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured per trial [%(default)s]")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first [%(default)s]")
    parser.add_argument("--repeats", type=int, default=3, help="shuffled rounds; the median is reported [%(default)s]")
    parser.add_argument("--vus", type=int, default=32, help="concurrent k6 users [%(default)s]")
    parser.add_argument("--seed", type=int, default=None, help="shuffle seed (recorded in the output)")
    args = parser.parse_args()
    args.services = listed(args.services)
    unknown = [s for s in args.services if s not in SERVICES]
    args.workloads = listed(args.workloads)
    if unknown or not set(args.workloads) <= {"json", "db"} or args.repeats < 1 or args.duration <= 0:
        parser.error(f"bad --services {unknown} or --workloads {args.workloads} or --repeats/--duration")
    args.service_cores, args.load_cores = service_and_load_cores(parser)
    args.seed = shuffle_seed(args.seed)
    return args


def main() -> int:
    args = parse()
    console = Console()
    if not console.is_terminal:
        console = Console(width=132)  # a log file gets the whole table, not one squeezed to 80 columns
    rng = random.Random(args.seed)
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OtlpSink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{sink.server_address[1]}"
    rates: dict[tuple[str, str, str], list[float]] = {}
    k6_busy: dict[tuple[str, str, str], float] = {}
    rounds = [[(s, m) for s in args.services for m in MODES] for _ in range(args.repeats)]
    for blocks in rounds:
        rng.shuffle(blocks)
    total = sum(len(b) for b in rounds)
    versions = ", ".join(f"{name} {version}" for name, version in package_versions().items() if version)
    console.print(f"{cpu_model()}; Python {sys.version.split()[0]}; {versions}")
    console.print(
        f"service on core {args.service_cores}, k6 on {args.load_cores}; {args.repeats} round(s), "
        f"{args.duration:g} s per trial, {args.vus} VUs, seed {args.seed}"
    )

    def measure_all() -> None:
        with tempfile.TemporaryDirectory(prefix="overhead-") as tmp, Progress(console=console) as progress:
            task = progress.add_task("measuring", total=total)
            for blocks in rounds:
                for name, mode in blocks:
                    framework, profile = SERVICES[name]
                    progress.update(task, description=f"{name} · {mode.name}")
                    work = Path(tmp) / f"{name}-{mode.name.replace(' ', '-')}"
                    env = {"OTEL_TRACES_SAMPLER_ARG": mode.sample_ratio, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
                    service = ServiceProcess(
                        find_profile(framework, profile), work, workers=1, cores=args.service_cores,
                        instrumentation=mode.instrumentation, env=env,
                    )  # fmt: skip
                    with service:
                        for workload in args.workloads:
                            if workload == "db" and name in DATABASE_FREE:
                                continue
                            warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
                            measure(service, name, workload, warm, work)
                            rate, busy = measure(service, name, workload, args, work)
                            rates.setdefault((name, workload, mode.name), []).append(rate)
                            k6_busy[(name, workload, mode.name)] = max(
                                busy, k6_busy.get((name, workload, mode.name), 0)
                            )
                    progress.advance(task)

    try:
        code = measured(console, measure_all)
    finally:
        sink.shutdown()
    if code:
        return code
    console.print(report(args, rates, k6_busy))
    console.print(f"spans exported to the OTLP sink: {OtlpSink.exports} batches")
    return 0


def report(args: argparse.Namespace, rates: dict, k6_busy: dict) -> Table:
    table = Table(title="Instrumentation overhead: req/s (median of rounds) and ratio to off")
    table.add_column("service")
    table.add_column("workload")
    for mode in MODES:
        table.add_column(mode.name, justify="right")
    table.add_column("spread", justify="right")
    for name in args.services:
        for workload in args.workloads:
            if (name, workload, "off") not in rates:
                continue
            off = statistics.median(rates[(name, workload, "off")])
            cells, spread = [], 0.0
            for mode in MODES:
                values = rates[(name, workload, mode.name)]
                median = statistics.median(values)
                spread = max(spread, (max(values) - min(values)) / 2 / median)
                ratio = "" if mode.name == "off" else f" ({median / off:.2f}x)"
                saturated = " k6!" if k6_busy[(name, workload, mode.name)] >= 0.9 else ""
                cells.append(f"{median:,.0f}{ratio}{saturated}")
            table.add_row(name, workload, *cells, f"±{spread:.0%}")
    table.caption = (
        "ratio < 1 is the cost. spread: largest half-range over rounds, relative to the median. "
        "k6!: k6 used ≥ 90% of its core, so the generator, not the service, may be the limit."
    )
    return table


if __name__ == "__main__":
    sys.exit(main())
