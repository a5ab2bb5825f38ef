"""Measure several ways of serving the same thing side by side: alternating, shuffled rounds, one run.

Each variant is started fresh for every round on the service's core, warmed, then measured with a closed-model
k6 sweep pinned to the other core; a variant's figure is the median of its rounds, and a ratio is only ever
taken between variants of the same run (the machine is shared: only side-by-side ratios mean anything).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.progress import Progress

from observatory.errors import ObservatoryError
from observatory.k6_summaries import completed_in_window
from observatory.run.k6 import K6Settings, run_k6


class Served(Protocol):
    """What a started variant offers: where to send requests."""

    @property
    def url(self) -> str: ...


@dataclass(frozen=True)
class Variant:
    """One way of serving: `start(work_dir)` gives a context manager that serves until it exits."""

    group: str  # variants of one group are compared with each other
    name: str
    start: Callable[[Path], AbstractContextManager[Served]]


def sweep(url: str, label: str, workload: str, seconds: float, vus: int, load_cores: list[int], work: Path) -> float:
    """Requests completed per second inside a closed-model sweep of `vus` VUs (errors are an error)."""
    settings = K6Settings(
        base_url=url, workload=workload, scenario="sweep", testid=f"side-{label}", run_id="side-by-side",
        framework=label, profile=label, duration_s=seconds, vus=vus,
    )  # fmt: skip
    outcome = run_k6(settings, work / "summary.json", work / "k6.log", cores=load_cores)
    failed = outcome.metric("http_req_failed", "rate")
    if failed > 0:
        raise ObservatoryError(f"{label} {workload}: {failed:.1%} of requests failed; see {work / 'k6.log'}")
    return completed_in_window(int(outcome.metric("http_reqs", "count")), "sweep", vus) / seconds


def measure_rounds(
    variants: list[Variant], args: argparse.Namespace, console: Console
) -> dict[tuple[str, str], list[float]]:
    """req/s per (group, variant), one value per round; rounds shuffled with `args.seed`."""
    rng = random.Random(args.seed)
    rounds = [list(variants) for _ in range(args.repeats)]
    for blocks in rounds:
        rng.shuffle(blocks)
    rates: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="side-by-side-") as tmp, Progress(console=console) as progress:
        task = progress.add_task("measuring", total=sum(len(b) for b in rounds))
        for index, blocks in enumerate(rounds):
            for variant in blocks:
                label = f"{variant.group}-{variant.name}".replace("/", "-").replace(" ", "-")
                progress.update(task, description=f"round {index + 1}: {variant.group} · {variant.name}")
                work = Path(tmp) / f"{label}-{index}"
                with variant.start(work) as served:
                    sweep(served.url, label, args.workload, args.warmup, args.vus, args.load_cores, work)
                    rate = sweep(served.url, label, args.workload, args.duration, args.vus, args.load_cores, work)
                rates.setdefault((variant.group, variant.name), []).append(rate)
                progress.advance(task)
    return rates


def median_and_spread(values: list[float]) -> tuple[float, float]:
    """The median and the largest half-range relative to it."""
    median = statistics.median(values)
    return median, (max(values) - min(values)) / 2 / median if median else 0.0


def add_arguments(parser: argparse.ArgumentParser, *, duration: float = 6.0) -> None:
    """The options every side-by-side benchmark shares."""
    parser.add_argument("--workload", default="json", help="the k6 workload [%(default)s]")
    parser.add_argument("--duration", type=float, default=duration, help="seconds measured per trial [%(default)s]")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first [%(default)s]")
    parser.add_argument("--repeats", type=int, default=3, help="alternating rounds (at least 3) [%(default)s]")
    parser.add_argument("--vus", type=int, default=32, help="concurrent k6 users [%(default)s]")
    parser.add_argument("--seed", type=int, default=None, help="shuffle seed (printed, to replay a run)")
