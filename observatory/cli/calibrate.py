"""`observatory calibrate`: measure the load generator against a null target, or show the cached calibration."""

from __future__ import annotations

import argparse
import sys

from observatory.errors import ObservatoryError
from observatory.run.calibration import MAX_CPU, Calibration


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `calibrate` command."""
    command = commands.add_parser(
        "calibrate",
        help="measure k6 itself against nginx: its clean ceiling per workload and connection mode",
        description="Run the benchmark script and executor against nginx (a null target that is never the "
        "bottleneck) over a ladder of rates, in keep-alive and connection-close modes, pinned as a run pins k6 and "
        "the services, and print k6's own p50/p99, drops and CPU per rate and its clean ceiling: the highest rate "
        "at which its p99 stays within 10% of the SLO's p99 and nothing is dropped. Results are cached per "
        "machine, k6 version, script, workload and mode (about 15 s per workload and mode when measured); "
        "`observatory run` reads the same cache and measures what is missing. A ladder measured while k6 waited for "
        "a CPU half the time or more (a busy host), or a quarter of the time at the rate that ended the climb, is not "
        "cached.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    command.add_argument("--workloads", default="json,db,io,cpu", help="workloads, comma-separated")
    command.add_argument("--modes", default="keep-alive,close", help="connection modes: keep-alive, close")
    command.add_argument("--slo-p99-ms", type=float, default=100.0, help="the SLO's p99 the clean bound is a share of")
    command.add_argument("--refresh", action="store_true", help="measure again even when a calibration is cached")
    command.add_argument(
        "--keep-busy", action="store_true", help="cache the ladders even when the host was busy while measuring them"
    )
    command.add_argument("--output", default="results/calibration", help="folder for k6 summaries and logs")
    command.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Calibrate (or read the cache) and print the table."""
    from pathlib import Path

    from observatory.run.calibration import calibrate
    from observatory.run.null_target import MODES
    from observatory.run.plan import pin_cores
    from observatory.workload_catalog import parse_workloads

    try:
        workloads = [w.name for w in parse_workloads(args.workloads)]
    except ValueError as error:
        raise ObservatoryError(str(error)) from None
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise ObservatoryError(
            f"unknown connection mode(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(MODES)}"
        )
    if args.slo_p99_ms <= 0:
        raise ObservatoryError("--slo-p99-ms must be positive")
    pinning = pin_cores()
    calibration = calibrate(
        [(w, m) for w in workloads for m in modes],
        args.slo_p99_ms,
        k6_cores=pinning.load,
        service_cores=pinning.service,
        work_dir=Path(args.output).resolve(),
        refresh=args.refresh,
        keep_busy=args.keep_busy,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(table(calibration))
    return 0


def table(calibration: Calibration) -> str:
    """The calibration as a plain-text table, one row per rate."""
    lines = [
        f"k6's clean bound: its own p99 ≤ {calibration.clean_p99_ms:g} ms ({calibration.share_of_slo:.0%} of the SLO's "
        f"p99), nothing dropped or failed, CPU < {MAX_CPU:.0%}",
        f"{'workload':<10} {'mode':<10} {'rate':>7} {'p50 ms':>7} {'p99 ms':>7} {'dropped':>7} {'CPU':>5} "
        f"{'wait':>5} {'stall ms':>8} {'ref µs':>6}  verdict",
    ]
    for ladder in calibration.ladders:
        for p in ladder.points:
            problems = p.problems(ladder.clean_p99_ms)
            lines.append(
                f"{ladder.workload:<10} {ladder.mode:<10} {p.rate:>7,.0f} {_num(p.p50_ms):>7} {_num(p.p99_ms):>7} "
                f"{p.dropped:>7} {'n/a' if p.cpu is None else f'{p.cpu:.0%}':>5} {_num(p.cpu_wait, 2):>5} {_num(p.stall_ms, 0):>8} "
                f"{_num(p.work_us, 0):>6}  " + ("clean" if not problems else "; ".join(problems))
            )
        ceiling = ladder.ceiling_rps
        source = "cached" if ladder.cached else "measured"
        if ladder.host_busy:
            source += f", not cached: {ladder.host_busy};"
        lines.append(
            f"{ladder.workload:<10} {ladder.mode:<10} clean ceiling: "
            + (f"{ceiling:,.0f} req/s" if ceiling else "below the lowest rate tried")
            + f" ({source} {ladder.created_at}"
            + (f", host at {ladder.work_us:.0f} µs of reference work on k6's core" if ladder.work_us else "")
            + ")"
        )
    return "\n".join(lines)


def _num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
