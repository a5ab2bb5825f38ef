"""`observatory compare RUN_A RUN_B`: every difference with its uncertainty; exit 1 on a regression, 2 when the runs
do not compare."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REGRESSION_EXIT = 1
NOT_COMPARABLE_EXIT = 2


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `compare` command."""
    command = commands.add_parser(
        "compare",
        help="compare two runs; exit 1 on a regression beyond the noise, 2 when they do not compare",
        description="Compare RUN_B against the baseline RUN_A: capacity per framework, profile, workload and "
        "worker count, each with its 90% interval (fitted over every round's trials, '≥' when only a lower bound), "
        "and each run's within-run ratios (a configuration over its workload's baseline, else Flask), marked when "
        "one moved. A regression is B's whole interval below A's by more than 5% of A. Exits 1 on a regression, "
        "so scheduled runs can alert on it, and 2 (with the reason) when the runs differ in SLO, run size, "
        "instrumentation, CPU model or core count.",
    )
    command.add_argument("run_a", type=Path, metavar="RUN_A", help="the baseline run's folder (or its results.json)")
    command.add_argument("run_b", type=Path, metavar="RUN_B", help="the new run's folder (or its results.json)")
    command.add_argument("--force", action="store_true", help="compare runs whose conditions differ")
    command.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the comparison; the exit code says whether it regressed."""
    from observatory.compare import NotComparable, compare_runs

    try:
        comparison = compare_runs(args.run_a, args.run_b, force=args.force)
    except NotComparable as error:
        print(f"observatory: error: {error}", file=sys.stderr)
        return NOT_COMPARABLE_EXIT
    print(comparison.render())
    return REGRESSION_EXIT if comparison.regressions else 0
