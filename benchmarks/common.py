"""What the benchmarks share: the service's core and k6's, the names an option lists, a shuffle seed, a clean exit.

The scripts run as `.venv/bin/python benchmarks/NAME.py`, so this folder is on their import path.
"""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Callable

from rich.console import Console

from observatory.errors import ObservatoryError


def service_and_load_cores(parser: argparse.ArgumentParser) -> tuple[list[int], list[int]]:
    """The first core for the service, the others for k6; a usage error on fewer than 2 cores."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        parser.error("needs 2 cores: one for the service, one for k6")
    return cores[:1], cores[1:]


def listed(value: str) -> list[str]:
    """The non-empty names of a comma-separated option."""
    return [name.strip() for name in value.split(",") if name.strip()]


def shuffle_seed(seed: int | None) -> int:
    """The seed given, or a fresh one (printed with the results, so a run can be replayed)."""
    return seed if seed is not None else random.SystemRandom().randrange(2**31)


def measured(console: Console, measure: Callable[[], None]) -> int:
    """Run `measure`: 0 when it ends, 1 with a one-line error, 130 on Ctrl-C (its services are stopped by then)."""
    try:
        measure()
    except ObservatoryError as error:
        console.print(f"[red]error:[/red] {error}")
        return 1
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]; every service was stopped")
        return 130
    return 0
