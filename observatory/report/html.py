"""The self-contained HTML report: inline CSS and SVG, no script, no network."""

from __future__ import annotations

from html import escape
from typing import Any

from observatory.deployment_sizing import rates_to_show, size
from observatory.report import figures, instruments
from observatory.report.claims import ARTICLE, judge_claims
from observatory.report.scaling import Fit, scaling_fits, scaling_unit, what_bounds_replicas, why_not_measured
from observatory.report.tables import capacity_rows, environment_line, invalid_trials, normalised_text
from observatory.results import Run

STYLE = """
body{font:14px/1.5 system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#1b1b1b}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}td.n{text-align:right}
caption{text-align:left;font-weight:600;padding:4px 0}.holds{color:#0a6b1f}.does-not-hold{color:#a40000}
.depends{color:#8a5a00}.not-measured{color:#666}figure{margin:1em 0}svg{max-width:100%;height:auto}
.note{color:#555}.row{display:flex;flex-wrap:wrap;gap:0 2em}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
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
         escape(r.value()), escape(r.interval()), escape(r.spread()), escape(normalised_text(r.capacity)),
         escape(r.note())]
        for r in capacity_rows(run)
    ]  # fmt: skip
    if not rows:
        return "<h2>Capacity</h2><p>Not measured: the run recorded no capacity.</p>"
    if not any(c.estimate is not None for c in run.capacity):
        plot = "<p>No capacity was decided: every trial missed or was invalid (reasons under Errors and validity).</p>"
    else:
        plot = _figure(
            figures.capacity(run.capacity, run.slo, scaling_unit(run)),
            "Each framework's capacity per workload at the fewest workers (or replicas) measured; scaling below.",
        )
    table = _table(
        "Capacity per workload, best first",
        ["workload", "framework", "profile", "workers", "req/s", "90% interval", "rounds", "normalised req/s", "note"],
        rows,
    )
    return f"<h2>Capacity</h2>{plot}{table}"


def _load_section(run: Run) -> str:
    workloads = sorted({t.workload for t in run.trials if t.scenario == "constant"})
    if not workloads:
        return "<h2>Throughput and latency against offered load</h2><p>Not measured.</p>"
    server = (
        "□: the service's own p99, time inside the app, from its histogram (within 10 % from 1 to 100 ms); the gap "
        "to the client's p99 is queueing before the app and in k6, not the network."
    )
    plots = "".join(
        _figure(figures.load_curves(run, w), f"{w}: open-model trials at each service's fewest workers. {server}")
        for w in workloads
    )
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
    return f"<h2>Errors and validity</h2>{summary}<details><summary>The {len(invalid)} invalid trials</summary>{table}</details>"


def _scaling_section(run: Run) -> str:
    fits = scaling_fits(run)
    sizing = _sizing_table(run, fits)
    bound = what_bounds_replicas(run)
    bound_html = f"<p>{escape(bound)}</p>" if bound else ""
    if not fits:
        return f"<h2>Scaling</h2><p>{escape(why_not_measured(run))}</p>{bound_html}{sizing}"
    rows = []
    for f in fits:
        law = f"{f.name}: serial {f.law.serial:.3f}" + (f", crosstalk {f.law.crosstalk:.4f}" if f.law.crosstalk else "")
        ceiling = "none (linear)" if f.law.ceiling() == float("inf") else f"{f.law.ceiling():,.0f}"
        rows.append([escape(f"{f.framework}/{f.profile}"), escape(f.workload), escape(f.measured()), escape(law),
                     f"{f.law.c1:,.0f}", ceiling, escape(f.verdict())])  # fmt: skip
    table = _table(
        "Fitted scaling law per service and workload (capacity C(n) = C1·n / (1 + s(n−1) + k·n(n−1)))",
        ["service", "workload", f"measured ({fits[0].unit}: req/s)", "law", "C1 req/s", "ceiling req/s", "verdict"],
        rows,
    )
    plot = _figure(figures.scaling(fits), "Capacity against count, with the fitted law and where it stops paying.")
    return f"<h2>Scaling</h2>{plot}{table}{bound_html}{sizing}"


def _sizing_table(run: Run, fits: list[Fit]) -> str:
    tables = []
    for workload in sorted({c.workload for c in run.capacity if c.estimate}):
        rates = rates_to_show(run, workload)
        answers = {rate: size(run, rate, workload, fits) for rate in rates}
        services = [(a.framework, a.profile) for a in answers[rates[0]]] if rates else []
        rows = []
        for framework, profile in services:
            cells = []
            for rate in rates:
                a = next(x for x in answers[rate] if (x.framework, x.profile) == (framework, profile))
                cells.append(
                    escape(a.count()) + ("*" if a.extrapolated and a.needed is not None and not a.linear_only else "")
                )
            rows.append([escape(f"{framework}/{profile}"), *cells])
        if rows:
            tables.append(_table(f"{workload}, p99 ≤ {run.slo.get('p99_ms', 0):g} ms", ["service", *(f"{r:,.0f} req/s" for r in rates)], rows))  # fmt: skip
    if not tables:
        return ""
    return (
        "<h3>Sizing: workers or replicas needed to serve a rate within the SLO</h3>"
        f"<div class='row'>{''.join(tables)}</div><p class='note'>From the fitted law, bounds over the repeats. "
        "*: extrapolated beyond the counts measured. ≥: measured at one count only, so the least it could need "
        "(perfectly linear scaling). Any rate: <code>observatory size RUN_DIR --rate R --workload W</code>.</p>"
    )


def _flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [
            item
            for key, inner in value.items()
            for item in _flatten(f"{prefix}{key}" if not prefix else f"{prefix} / {key}", inner)
        ]
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:12])
        return [(prefix, shown + (f" … ({len(value)} in all)" if len(value) > 12 else ""))]
    return [(prefix, "–" if value is None else str(value))]  # fmt: skip


def _environment_section(run: Run) -> str:
    parts = [("Machine and tools", run.environment), ("Settings", run.settings), ("SLO", run.slo)]
    tables = "".join(
        _table(caption, ["what", "value"], [[escape(k), escape(v)] for k, v in _flatten("", data)])
        for caption, data in parts
        if data
    )
    return f"<h2>Environment</h2>{tables or '<p>Not recorded.</p>'}"


def render_html(run: Run) -> str:
    """The whole report as one HTML document."""
    cost = figures.cost(run) if run.trials else "<p>Not measured.</p>"
    stopped = f"<p><strong>Stopped early:</strong> {escape(run.error)}</p>" if run.error else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Observatory report {escape(run.run_id)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body><h1>Observatory report: run {escape(run.run_id)}</h1>
<p>{escape(run.status)} run, {len(run.trials)} trials. {escape(environment_line(run))}.</p>{stopped}
{_capacity_section(run)}{_claims_section(run)}{_load_section(run)}
<h2>CPU and memory</h2>{_figure(cost, "CPU seconds per 1,000 requests and peak memory.") if run.trials else cost}
{_validity_section(run)}{instruments.html_section(run)}{_scaling_section(run)}
{_environment_section(run)}</body></html>
"""
