"""The self-contained HTML report: inline CSS and SVG, no script, no network."""

from __future__ import annotations

import json
from html import escape

from observatory.report import figures
from observatory.report.claims import ARTICLE, judge_claims
from observatory.report.scaling import scaling_fits
from observatory.report.tables import capacity_rows, environment_line, invalid_trials
from observatory.results import Run

STYLE = """
body{font:14px/1.5 system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#1b1b1b}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}td.n{text-align:right}
caption{text-align:left;font-weight:600;padding:4px 0}.holds{color:#0a6b1f}.does-not-hold{color:#a40000}
.depends{color:#8a5a00}.not-measured{color:#666}figure{margin:1em 0}svg{max-width:100%;height:auto}
.note{color:#555}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
"""


def _table(caption: str, headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _capacity_section(run: Run) -> str:
    rows = [
        [escape(r.capacity.workload), escape(r.capacity.framework), escape(r.capacity.profile), str(r.capacity.workers),
         "–" if r.capacity.median is None else f"{'≥ ' if r.lower_bound else ''}{r.capacity.median:,.0f}",
         escape(r.spread()),
         r.note()]
        for r in capacity_rows(run)
    ]  # fmt: skip
    if not rows:
        return "<h2>Capacity</h2><p>Not measured: the run recorded no capacity.</p>"
    plot = _figure(figures.capacity(run.capacity, run.slo), "Capacity with its spread over repeats.")
    table = _table(
        "Capacity per workload, best first",
        ["workload", "framework", "profile", "workers", "req/s", "spread", "note"],
        rows,
    )
    return f"<h2>Capacity</h2>{plot}{table}"


def _load_section(run: Run) -> str:
    workloads = sorted({t.workload for t in run.trials if t.scenario == "constant"})
    if not workloads:
        return "<h2>Throughput and latency against offered load</h2><p>Not measured.</p>"
    plots = "".join(_figure(figures.load_curves(run, w), f"{w}: open-model trials.") for w in workloads)
    return f"<h2>Throughput and latency against offered load</h2>{plots}"


def _claims_section(run: Run) -> str:
    rows = [
        [f"“{escape(v.claim)}”", f"<strong class='{v.verdict.replace(' ', '-')}'>{escape(v.verdict)}</strong>",
         escape(v.measured), escape(v.conditions)]
        for v in judge_claims(run)
    ]  # fmt: skip
    table = _table(
        "The article's claims beside this run", ["the article says", "verdict", "measured", "what decides it"], rows
    )
    return f"<h2>The article's claims</h2><p class='note'>Source: {escape(ARTICLE)}.</p>{table}"


def _validity_section(run: Run) -> str:
    invalid = invalid_trials(run)
    errors = [t for t in run.trials if t.errors]
    summary = f"<p>{len(invalid)} of {len(run.trials)} trials invalid; {len(errors)} trials saw failed requests.</p>"
    if not invalid:
        return f"<h2>Errors and validity</h2>{summary}"
    table = _table("Invalid trials and why", ["trial", "reasons"], [[escape(i), escape(r)] for i, r in invalid])
    return f"<h2>Errors and validity</h2>{summary}{table}"


def _scaling_section(run: Run) -> str:
    fits = scaling_fits(run)
    if not fits:
        return "<h2>Scaling</h2><p>Not measured: run with <code>--workers 1,2,4</code> to draw the curve.</p>"
    rows = [
        [
            escape(f"{f.framework}/{f.profile}"),
            escape(f.workload),
            f"{f.serial:.2f}",
            str(f.stops_paying_at or "beyond 256"),
        ]
        for f in fits
    ]
    table = _table(
        "Amdahl fit per service and workload",
        ["service", "workload", "serial fraction", "adding workers stops paying after"],
        rows,
    )
    return f"<h2>Scaling</h2>{_figure(figures.scaling(fits), 'Capacity against workers.')}{table}"


def render_html(run: Run) -> str:
    """The whole report as one HTML document."""
    cost = figures.cost(run) if run.trials else "<p>Not measured.</p>"
    environment = escape(
        json.dumps({"environment": run.environment, "settings": run.settings, "slo": run.slo}, indent=2)
    )
    stopped = f"<p><strong>Stopped early:</strong> {escape(run.error)}</p>" if run.error else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Observatory report {escape(run.run_id)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body><h1>Observatory report: run {escape(run.run_id)}</h1>
<p>{escape(run.status)} run, {len(run.trials)} trials. {escape(environment_line(run))}.</p>{stopped}
{_capacity_section(run)}{_claims_section(run)}{_load_section(run)}
<h2>CPU and memory</h2>{_figure(cost, "CPU seconds per 1,000 requests and peak memory.") if run.trials else cost}
{_validity_section(run)}{_scaling_section(run)}
<h2>Environment</h2><pre>{environment}</pre></body></html>
"""
