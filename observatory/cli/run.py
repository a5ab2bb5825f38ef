"""`observatory run`: the comparison, with real services, k6 and Prometheus; results.json, a table and the report."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from observatory.errors import ObservatoryError

if TYPE_CHECKING:
    from observatory.run.plan import RunOptions


def _ints(raw: str) -> list[int]:
    try:
        values = [int(v) for v in raw.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {raw!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {raw!r}")
    return values


def _workers(raw: str) -> list[int] | str:
    return "auto" if raw.strip() == "auto" else _ints(raw)


def _positive(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {raw!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {raw!r}")
    return value


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `run` command."""
    from observatory.judging.slo import DEFAULT_ERROR_RATE, DEFAULT_P99_MS
    from observatory.run.plan import DEFAULT_PROFILES
    from observatory.run.run_sizes import DEFAULT_SIZE, SIZES
    from observatory.workload_catalog import DEFAULT_WORKLOADS
    from service_common.settings import DEFAULT_INSTRUMENTATION, INSTRUMENTATION_MODES

    sizes = "; ".join(f"{s.name}: {s.summary}" for s in SIZES.values()).replace("%", "%%")  # argparse formats help
    command = commands.add_parser(
        "run",
        help="run the comparison locally and write results/<run-id>/",
        description="Start a local Prometheus, then each service under its server profile pinned to its own cores "
        "with k6 on the others, and estimate each workload's capacity (the arrival rate at which the service meets the "
        "SLO) from rounds of constant-rate trials, every block once per round in a shuffled order, each slot a fresh "
        "service process; the capacity is fitted over all the trials, with a 90%% interval (docs/judging.md). Writes results/<run-id>/results.json after every trial, prints a summary "
        "table and renders the report.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    command.add_argument("--frameworks", default=",".join(DEFAULT_PROFILES), help="frameworks to run, comma-separated")
    command.add_argument(
        "--profiles",
        default=None,
        help="server profiles as framework/profile, comma-separated, or 'all' (default: "
        + ", ".join(f"{f}/{p}" for f, p in DEFAULT_PROFILES.items())
        + " for the chosen frameworks)",
    )
    command.add_argument("--baselines", action="store_true", help="also run the framework-less ASGI and WSGI baselines")
    command.add_argument(
        "--workloads", default=",".join(DEFAULT_WORKLOADS), help="workloads, comma-separated (see loadtests/README.md)"
    )
    command.add_argument("--size", default=DEFAULT_SIZE, choices=list(SIZES), help=f"run size ({sizes})")
    command.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="rounds of every block (each round in a fresh shuffled order, each slot a fresh service process); "
        "default: the size's",
    )
    command.add_argument(
        "--inject-noise", type=int, default=None, metavar="SEED",
        help="run the seeded noise injector on the service cores during the run (see `observatory noise`)",
    )  # fmt: skip
    command.add_argument(
        "--workers", type=_workers, default="auto",
        help="worker counts to run, e.g. 1,2,4 for a scaling curve; auto (default): 1, 2, 4... up to the cores pinned "
        "to the services (half the machine; the other half runs k6 and Prometheus), so 1 on a 2-core machine and a "
        "curve on 4 cores or more. Counts above the services' cores are refused",
    )  # fmt: skip
    command.add_argument(
        "--slo-p99-ms", type=_positive, default=DEFAULT_P99_MS, help="SLO: client-side p99 latency bound"
    )
    command.add_argument(
        "--slo-error-rate", type=float, default=DEFAULT_ERROR_RATE, help="SLO: highest share of failed requests"
    )
    command.add_argument(
        "--instrumentation", default=DEFAULT_INSTRUMENTATION, choices=INSTRUMENTATION_MODES,
        help="service instrumentation. metrics: the Prometheus metrics the server-side figures and the "
        "count check need; full: metrics and OpenTelemetry traces (sampled at OTEL_TRACES_SAMPLER_ARG, 0.01), which "
        "cost throughput, unevenly across frameworks (benchmarks/instrumentation_overhead.py measures how much); "
        "off: neither, so no server-side figures and no count check",
    )  # fmt: skip
    command.add_argument("--database-url", default=None, help="PostgreSQL URL instead of SQLite per service")
    command.add_argument("--output", type=Path, default=Path("results"), help="folder for results/<run-id>/")
    command.add_argument("--seed", type=int, default=None, help="seed of the shuffled order (recorded)")
    command.add_argument("--no-report", action="store_true", help="do not render the HTML report at the end")
    command.set_defaults(handler=handle)


def options_from(args: argparse.Namespace) -> RunOptions:
    """RunOptions from the parsed command line, or an ObservatoryError for bad values."""
    import random

    from observatory.judging import Slo
    from observatory.run.plan import BASELINE_PROFILES, DEFAULT_PROFILES, RunOptions
    from observatory.run.run_sizes import SIZES
    from observatory.workload_catalog import parse_workloads
    from service_common.profiles import ProfileError, all_profiles, find_profile

    if args.repeats is not None and args.repeats < 1:
        raise ObservatoryError(f"--repeats must be at least 1, got {args.repeats}")
    if not 0 <= args.slo_error_rate < 1:
        raise ObservatoryError(f"--slo-error-rate must be in [0, 1), got {args.slo_error_rate}")
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    try:
        workloads = parse_workloads(args.workloads)
        if args.profiles == "all":
            profiles = [p for p in all_profiles() if p.framework in frameworks]
        elif args.profiles:
            profiles = [find_profile(*_split_key(key)) for key in args.profiles.split(",") if key.strip()]
        else:
            unknown = [f for f in frameworks if f not in DEFAULT_PROFILES]
            if unknown:
                raise ObservatoryError(
                    f"unknown framework(s) {', '.join(unknown)}; choose from {', '.join(DEFAULT_PROFILES)}"
                )
            profiles = [find_profile(f, DEFAULT_PROFILES[f]) for f in frameworks]
        if args.baselines:
            profiles += [find_profile(f, p) for f, p in BASELINE_PROFILES.items()]
    except (ValueError, ProfileError) as error:
        raise ObservatoryError(str(error)) from None
    if not profiles:
        raise ObservatoryError("nothing to run: no profile matches the chosen frameworks")
    return RunOptions(
        profiles=profiles,
        workloads=workloads,
        size=SIZES[args.size],
        repeats=args.repeats or SIZES[args.size].rounds,
        workers=_worker_counts(args.workers),
        slo=Slo(p99_ms=args.slo_p99_ms, error_rate=args.slo_error_rate),
        output=args.output.resolve(),  # child processes (Prometheus, k6) have their own working folders
        instrumentation=args.instrumentation,
        seed=args.seed if args.seed is not None else random.SystemRandom().randrange(2**31),
        database_url=args.database_url,
        noise_seed=args.inject_noise,
    )


def _worker_counts(requested: list[int] | str) -> list[int]:
    import os

    from observatory.run.plan import pin_cores, worker_counts

    available = sorted(os.sched_getaffinity(0))
    try:
        return worker_counts(requested, len(pin_cores(available).service), len(available))
    except ValueError as error:
        raise ObservatoryError(str(error)) from None


def _split_key(key: str) -> tuple[str, str]:
    framework, _, profile = key.strip().partition("/")
    if not profile:
        raise ObservatoryError(f"a profile is framework/profile, e.g. flask/gunicorn-gthread; got {key!r}")
    return framework, profile


def handle(args: argparse.Namespace) -> int:
    """Run, show progress, print the summary table, render the report."""
    from rich.console import Console

    from observatory import tools
    from observatory.cli.progress import RunProgress
    from observatory.cli.summary import print_summary
    from observatory.run.session import Session

    options = options_from(args)
    tools.require("k6")
    tools.require("taskset")
    if options.instrumentation != "off":
        tools.require("prometheus")
    progress = RunProgress()
    session = Session(
        options,
        on_start=progress.trial_started,
        on_done=progress.trial_done,
        on_note=progress.note,  # type: ignore[arg-type]
    )
    progress.begin(session)
    try:
        with progress, session:
            session.execute()
    finally:
        progress.console.print(f"results: {session.run_dir / 'results.json'} ({session.run.status})")
    console = Console()
    print_summary(session.run, console if console.is_terminal else Console(width=160))
    if not args.no_report:
        from observatory.report import write_report

        html, markdown = write_report(session.run_dir)
        progress.console.print(f"report: {html}\nsummary: {markdown}")
    return 0
