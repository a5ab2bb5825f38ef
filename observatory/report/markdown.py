"""The Markdown summary, for pasting into a pull request."""

from __future__ import annotations

from observatory.report.claims import judge_claims
from observatory.report.instruments import generator_words, speed_words, stall_words
from observatory.report.scaling import scaling_fits, what_bounds_replicas, why_not_measured
from observatory.report.tables import capacity_rows, environment_line, invalid_trials, normalised_text
from observatory.results import Run


def render_markdown(run: Run) -> str:
    """Capacity with spread, the article's claims with verdicts, invalid trials, instruments, scaling, conditions."""
    lines = [
        f"## Observatory run {run.run_id} ({run.status})",
        "",
        f"Capacity: highest arrival rate with client p99 ≤ {run.slo.get('p99_ms')} ms and errors ≤ "
        f"{run.slo.get('error_rate', 0):.1%}, no dropped iterations: fitted over every round's trials, with its 90 % "
        "interval, each round's estimate, and the host-normalised figure (docs/judging.md).",
        "",
        "| workload | framework | profile | workers | capacity req/s | 90% interval | rounds | normalised req/s | note |",
        "|---|---|---|---:|---:|---|---|---|---|",
    ]
    for row in capacity_rows(run):
        c = row.capacity
        lines.append(
            f"| {c.workload} | {c.framework} | {c.profile} | {c.workers} | {row.value()} | {row.interval()} | {row.spread()} | "
            f"{normalised_text(c)} | {row.note()} |"
        )
    lines += ["", "| the article says | verdict | measured |", "|---|---|---|"]
    lines += [f"| {v.claim} | **{v.verdict}** | {v.measured} |" for v in judge_claims(run)]
    invalid = invalid_trials(run)
    lines += ["", f"Invalid trials: {len(invalid)} of {len(run.trials)} (reasons in report.html).", ""]
    lines += [f"Instruments: {generator_words(run)} {stall_words(run)} {speed_words(run)}", ""]
    lines += _scaling_lines(run)
    lines += [f"Conditions: {environment_line(run)}.", ""]
    if run.error:
        lines += [f"Stopped early: {run.error}", ""]
    return "\n".join(lines)


def _scaling_lines(run: Run) -> list[str]:
    """Each fitted scaling law's verdict, or why the run draws no curve (the HTML report has the figure)."""
    fits = scaling_fits(run)
    bound = what_bounds_replicas(run)
    bounds = [bound, ""] if bound else []
    if not fits:
        return [f"Scaling: {why_not_measured(run)}", "", *bounds]
    lines = ["| scaling | workload | measured | verdict |", "|---|---|---|---|"]
    for f in fits:
        lines.append(f"| {f.framework}/{f.profile} | {f.workload} | {f.measured()} ({f.unit}: req/s) | {f.verdict()} |")
    return [*lines, "", *bounds]
