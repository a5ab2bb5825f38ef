"""`observatory`: run the comparison, check the machine, render reports, compare runs."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from observatory.cli import calibrate, compare, doctor, import_k6, noise, report, run, size
from observatory.errors import ObservatoryError

COMMANDS = (run, doctor, report, compare, import_k6, size, calibrate, noise)


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per module in observatory/cli."""
    top = argparse.ArgumentParser(
        prog="observatory",
        description="A performance observatory for Python web frameworks (FastAPI, Flask, Django): "
        "real services under real k6 load, measured in Prometheus.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return top


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, dispatch, and turn every user-fixable failure into one line on stderr."""
    args = parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    # Ctrl-C stops a run cleanly even when whatever started it ignored SIGINT (a script's background job, some CI
    # runners): Python keeps an inherited ignored SIGINT ignored, and the run would go on to its end.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return int(args.handler(args) or 0)
    except ObservatoryError as error:
        print(f"observatory: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("observatory: interrupted; every process started was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
