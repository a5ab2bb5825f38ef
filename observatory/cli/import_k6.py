"""`observatory import-k6 SUMMARIES`: the cluster's k6 summaries as results folders that `compare` and `report` read."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `import-k6` command."""
    command = commands.add_parser(
        "import-k6",
        help="turn k6 summaries (the cluster's scheduled runs) into results folders",
        description="Read every k6 summary written by loadtests/benchmark.js under SUMMARIES (for instance the "
        "cluster's results volume, copied out with kubectl cp: charts/README.md) and write one "
        "OUTPUT/<run-id>/results.json per run id. Each summary becomes a trial judged like a local one "
        "(observatory.judging); a run's capacity is the highest constant rate that met the SLO, '≥' when no valid "
        "rate above it missed. Client side only: the service side of a cluster "
        "run is in the cluster's Prometheus. Then `observatory compare OUTPUT/<old> OUTPUT/<new>`.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    command.add_argument("summaries", type=Path, metavar="SUMMARIES", help="folder of k6 summary JSON files")
    command.add_argument("--output", type=Path, default=Path("results"), help="folder for <run-id>/results.json")
    command.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Write one results.json per run found; print where."""
    from observatory.k6_summaries import runs_from_summaries
    from observatory.report.tables import capacity_text
    from observatory.results import save

    for run in runs_from_summaries(args.summaries):
        path = save(run, args.output / run.run_id)
        found = ", ".join(
            f"{c.framework}/{c.profile} {c.workload} {capacity_text(c)} req/s"
            if c.estimate or c.high
            else f"{c.framework} {c.workload} none"
            for c in run.capacity
        )
        print(f"{path}: {len(run.trials)} trial(s); capacity {found or 'not measured (no constant-rate trial)'}")
    return 0
