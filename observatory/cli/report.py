"""`observatory report RUN_DIR`: the self-contained HTML report and the Markdown summary of a run."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `report` command."""
    command = commands.add_parser(
        "report",
        help="render report.html and summary.md for a run",
        description="Render RUN_DIR/report.html (self-contained, no network needed) and RUN_DIR/summary.md "
        "from RUN_DIR/results.json.",
    )
    command.add_argument(
        "run_dir", type=Path, metavar="RUN_DIR", help="a run's folder, e.g. results/20261124-231500-ab12"
    )
    command.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Write the report and say where it is."""
    from observatory.report import write_report

    html, markdown = write_report(args.run_dir)
    print(f"report: {html}\nsummary: {markdown}")
    return 0
