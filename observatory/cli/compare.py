"""`observatory compare RUN_A RUN_B`: every difference with its noise; exit 1 on a regression beyond the noise."""

from __future__ import annotations

import argparse
from pathlib import Path

REGRESSION_EXIT = 1


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `compare` command."""
    command = commands.add_parser(
        "compare",
        help="compare two runs; exit 1 on a regression beyond the noise",
        description="Compare RUN_B against the baseline RUN_A: capacity and p99 per framework, profile, workload "
        "and worker count, each difference with its noise. Exits 1 when RUN_B regressed beyond the noise, so "
        "scheduled runs can alert on it.",
    )
    command.add_argument("run_a", type=Path, metavar="RUN_A", help="the baseline run's folder (or its results.json)")
    command.add_argument("run_b", type=Path, metavar="RUN_B", help="the new run's folder (or its results.json)")
    command.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the comparison; the exit code says whether it regressed."""
    from observatory.compare import compare_runs

    comparison = compare_runs(args.run_a, args.run_b)
    print(comparison.render())
    return REGRESSION_EXIT if comparison.regressions else 0
