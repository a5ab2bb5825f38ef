"""The report of a run: a self-contained HTML page with plots, and a Markdown summary."""

from __future__ import annotations

from pathlib import Path

from observatory.errors import ObservatoryError
from observatory.results import RESULTS_FILE, SCHEMA_VERSION, Run, load, write_atomically


def read_run(path: Path) -> Run:
    """The run at `path` (a run folder or a results.json), or a one-line error."""
    results = path if path.is_file() else path / RESULTS_FILE
    if not results.is_file():
        raise ObservatoryError(f"no results at {results}: give a run folder, e.g. results/<run-id>")
    try:
        run = load(results)
    except (ValueError, TypeError, KeyError) as error:
        raise ObservatoryError(f"{results} is not a results file this version can read: {error}") from None
    if run.schema_version < SCHEMA_VERSION:
        rejudge(run)
    return run


def rejudge(run: Run) -> None:
    """Judge an older file's trials and capacities by the current rules (observatory.judging), so a report or a
    comparison never mixes two versions' verdicts."""
    from observatory.judging import Slo, from_trials, judge

    slo = Slo(**{k: float(v) for k, v in run.slo.items() if k in ("p99_ms", "error_rate")})
    for trial in run.trials:
        judge(trial, slo)
    run.capacity = from_trials(run.trials, slo)


def write_report(run_dir: Path) -> tuple[Path, Path]:
    """Write report.html and summary.md into the run's folder and return their paths."""
    from observatory.report.html import render_html
    from observatory.report.markdown import render_markdown

    run = read_run(run_dir)
    folder = run_dir if run_dir.is_dir() else run_dir.parent
    html, markdown = folder / "report.html", folder / "summary.md"
    write_atomically(html, render_html(run))
    write_atomically(markdown, render_markdown(run))
    return html, markdown
