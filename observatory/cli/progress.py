"""The live progress display of `observatory run`: what runs now, at what rate, and how long is left."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from observatory.run.plan import trials_in

if TYPE_CHECKING:
    from observatory.results import Trial
    from observatory.run.session import Session
    from observatory.run.trial import TrialSpec


class RunProgress:
    """A rich progress bar over the run's trials, one line per finished trial above it."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.task = self.progress.add_task("starting", total=None)

    def begin(self, session: Session) -> None:
        """Size the bar for the session's blocks and say where results go."""
        self.progress.update(self.task, total=trials_in(session.blocks, session.options.size))
        self.console.print(
            f"run {session.run_id}: {len(session.blocks)} blocks, size {session.options.size.name}, "
            f"service cores {session.pinning.service}, k6 cores {session.pinning.load}"
        )

    def note(self, text: str) -> None:
        """Print a line above the bar (the load generator's calibration, for instance)."""
        self.progress.console.print(f"  {text}")

    def trial_started(self, spec: TrialSpec) -> None:
        """Show the trial that is starting."""
        level = f"{spec.rate:g} req/s" if spec.rate is not None else f"{spec.vus} VUs"
        self.progress.update(
            self.task,
            description=f"{spec.framework}/{spec.profile} w{spec.workers} {spec.workload.name} {level} ({spec.duration_s:g}s)",
        )

    def trial_done(self, trial: Trial) -> None:
        """Print the finished trial's line and advance the bar."""
        p99 = trial.client_latency.p99
        verdict = (
            "[green]meets SLO[/]" if trial.slo_met else ("[yellow]misses SLO[/]" if trial.valid else "[red]invalid[/]")
        )
        level = f"{trial.offered_rate:g}/s offered" if trial.offered_rate is not None else f"{trial.vus} VUs"
        reasons = f" ({'; '.join(trial.invalid_reasons)})" if trial.invalid_reasons else ""
        self.progress.console.print(
            f"  {trial.framework}/{trial.profile} {trial.workload} {level}: {trial.achieved_rate:.0f} req/s, "
            f"p99 {p99 * 1000 if p99 is not None else float('nan'):.1f} ms, {verdict}{reasons}"
        )
        self.progress.advance(self.task)

    def __enter__(self) -> RunProgress:
        self.progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()
