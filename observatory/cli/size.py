"""`observatory size RUN_DIR --rate R --workload W`: how many workers or replicas each framework needs for R req/s."""

from __future__ import annotations

import argparse
from pathlib import Path

from observatory.cli.run import _positive
from observatory.errors import ObservatoryError


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `size` command."""
    command = commands.add_parser(
        "size",
        help="how many workers or replicas each framework needs to serve a rate",
        description="From a run's scaling curves (a local --workers sweep or an imported cluster replica sweep), "
        "print per framework how many workers or replicas serve RATE req/s of WORKLOAD within the run's SLO, with "
        "bounds from the repeats. Says when the answer is extrapolated beyond the counts measured.",
    )
    command.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a run's folder, e.g. results/<run-id>")
    command.add_argument("--rate", type=_positive, required=True, help="requests per second to serve")
    command.add_argument("--workload", required=True, help="workload, e.g. json (see loadtests/README.md)")
    command.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print one line per framework."""
    from observatory.deployment_sizing import size
    from observatory.report import read_run

    run = read_run(args.run_dir)
    answers = size(run, args.rate, args.workload)
    if not answers:
        measured = sorted({c.workload for c in run.capacity if c.estimate})
        raise ObservatoryError(
            f"no capacity for workload {args.workload!r} in {args.run_dir}; measured: {', '.join(measured) or 'none'}"
        )
    for answer in answers:
        print(answer.sentence(run.slo))
    return 0
