"""Generate the dashboards' JSON: `python -m dashboards.generate` writes them, `--check` fails when they differ."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import VariableSort

from dashboards.panels import (
    RATE_WINDOW,
    annotation_extras,
    bars,
    benchmark_annotation,
    datasource_variable,
    label_variable,
    latency_heatmap,
    links,
    panel,
    run_link,
    stat,
    target,
)
from observatory import queries as q
from service_common import metric_names as names

HERE = Path(__file__).resolve().parent
SERVICES = q.Matchers.of(framework="$framework", profile="$profile", route="$route")
LOAD = q.Matchers.of(framework="$framework", profile="$profile", workload="$workload", testid="$testid", run="$run")
TRENDS = q.Matchers.of(framework="$framework", profile="$profile", workload="$workload")
SCALING = q.Matchers.of(framework="$framework", profile="$profile", workload="$workload", run="$run")
BENCHMARKS = q.Matchers.of(framework="$framework", workload="$workload", run="$run")
BY = "framework, profile"
LEGEND = "{{framework}}/{{profile}}"


def _base(uid: str, title: str, description: str) -> dashboard.Dashboard:
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["observatory"])
        .time("now-30m", "now")
        .refresh("10s")
        .timezone("browser")
        .editable()
        .with_variable(datasource_variable())
        .links(links())
        .annotation(benchmark_annotation(q.benchmark_running(BENCHMARKS)))
    )


def comparison() -> dashboard.Dashboard:
    """Frameworks side by side: throughput, latency from both sides, errors, in-flight, CPU and memory."""
    board = (
        _base("observatory-comparison", "Observatory: framework comparison", "The services side by side under load.")
        .with_variable(label_variable("framework", names.REQUESTS_TOTAL))
        .with_variable(label_variable("profile", names.REQUESTS_TOTAL))
        .with_variable(label_variable("route", names.REQUESTS_TOTAL))
        .with_variable(label_variable("workload", q.K6_HTTP_REQS))
        .with_variable(label_variable("run", q.K6_HTTP_REQS))
        .with_variable(label_variable("testid", q.K6_HTTP_REQS))
        .with_variable(label_variable("namespace", "container_cpu_usage_seconds_total"))
    )
    latency = []
    for ref, quantile in zip("ABC", (0.5, 0.95, 0.99), strict=True):
        latency.append(
            target(
                q.served_latency_quantile(quantile, SERVICES, RATE_WINDOW, BY),
                f"{LEGEND} p{int(quantile * 100)} server",
                ref,
            )
        )
    client = [
        target(q.k6_latency_quantile(quantile, LOAD, RATE_WINDOW, BY), f"{LEGEND} p{int(quantile * 100)} k6", ref)
        for ref, quantile in zip("DEF", (0.5, 0.95, 0.99), strict=True)
    ]
    pods = ".*($framework).*"
    headline = [
        stat(
            "Requests per second",
            "Requests served per second now, per framework (the services' counters). Compare at the same offered load: the arrival rate is k6's, the same for all.",
            "reqps",
            [target(q.served_rate(SERVICES, RATE_WINDOW), "{{framework}}")],
        ),
        stat(
            "p99 latency",
            "Client-side p99 now, per framework (k6's native histogram): what users wait, queueing included. Above the SLO (100 ms by default) the framework is past its capacity.",
            "s",
            [target(q.k6_latency_quantile(0.99, LOAD, RATE_WINDOW), "{{framework}}")],
        ),
        stat(
            "Errors",
            "Share of k6's requests that failed (5xx, timeouts, refused connections), per framework. Anything above the SLO's 1% makes the rate a miss.",
            "percentunit",
            [target(q.k6_failed_ratio(LOAD), "{{framework}}")],
        ),
        stat(
            "CPU per 1,000 requests",
            "CPU seconds the whole service (all workers) spends per 1,000 requests served: the framework's cost, independent of the load.",
            "s",
            [target(q.cpu_seconds_per_1k(SERVICES, RATE_WINDOW), "{{framework}}")],
        ),
    ]
    for headline_panel in headline:
        headline_panel.data_links([run_link()])
    board = board.with_panel(headline[0]).with_panel(headline[1]).with_panel(headline[2]).with_panel(headline[3])
    board = board.with_panel(
        latency_heatmap(
            "Client latency distribution (k6)",
            "Every request's latency as k6 measured it (native histogram), one framework per panel; darker cells hold more requests per second. A second band above the main one is a queue or a stall.",
            target(q.k6_latency_histogram(LOAD, RATE_WINDOW), "{{le}}"),
        )
        .repeat("framework")
        .repeat_direction("h")
        .max_per_row(3)
    ).with_panel(
        latency_heatmap(
            "Server latency distribution",
            "The services' own latency buckets, one framework per panel: time inside the framework, without k6's queueing and the network.",
            target(q.served_latency_buckets(SERVICES, RATE_WINDOW), "{{le}}"),
        )
        .repeat("framework")
        .repeat_direction("h")
        .max_per_row(3)
    )
    return (
        board.with_panel(panel("Throughput", "Requests per second served (services' counters) and completed (k6). The two lines should coincide; a gap means requests lost in between.", "reqps",
                               [target(q.served_rate(SERVICES, RATE_WINDOW, BY), f"{LEGEND} served"), target(q.k6_request_rate(LOAD, RATE_WINDOW, BY), f"{LEGEND} k6", "B")]))
        .with_panel(panel("Latency percentiles", "p50, p95 and p99 from the services' histograms (server) and k6's native histogram (client). Client minus server is time in queues and the network.", "s", latency + client))
        .with_panel(panel("Server errors", "Share of requests answered with a 5xx. Anything above zero under load deserves a look at the service's log.", "percentunit",
                          [target(q.served_error_ratio(SERVICES, RATE_WINDOW, BY), LEGEND), target(q.k6_failed_ratio(LOAD, BY), f"{LEGEND} k6 failed", "B")]))
        .with_panel(panel("In flight", "Requests being served now, all workers together. A steady climb at a constant arrival rate means the service is falling behind.", "short",
                          [target(q.in_flight(SERVICES, BY), LEGEND)]))
        .with_panel(panel("CPU cores", "CPU used by the whole service (all workers). Local runs: the service's own process-tree metric; cluster: cAdvisor's container_cpu_usage_seconds_total per pod.", "short",
                          [target(q.cpu_cores(SERVICES, RATE_WINDOW, BY), f"{LEGEND} local"), target(q.container_cpu_cores("$namespace", pods, RATE_WINDOW), "{{pod}} cluster", "B")]))
        .with_panel(panel("Memory", "Resident memory of the whole service. Local runs: the sum of RSS over the process tree; cluster: cAdvisor's working set per pod.", "bytes",
                          [target(q.resident_memory(SERVICES, BY), f"{LEGEND} local"), target(q.container_memory("$namespace", pods), "{{pod}} cluster", "B")]))
    )  # fmt: skip


def load_generator() -> dashboard.Dashboard:
    """k6 itself: is the generator keeping up?"""
    board = (
        _base(
            "observatory-load", "Observatory: load generator", "k6's own view: VUs, iterations, drops, client latency."
        )
        .with_variable(label_variable("framework", q.K6_HTTP_REQS))
        .with_variable(label_variable("profile", q.K6_HTTP_REQS))
        .with_variable(label_variable("workload", q.K6_HTTP_REQS))
        .with_variable(label_variable("run", q.K6_HTTP_REQS))
        .with_variable(label_variable("testid", q.K6_HTTP_REQS))
    )
    by = "testid"
    return (
        board.with_panel(panel("Virtual users", "VUs k6 runs. In open-model trials VUs grow when responses slow down; hitting the maximum leads to dropped iterations.", "short",
                               [target(q.k6_vus(LOAD, by), "{{testid}}")]))
        .with_panel(panel("Iteration rate", "Iterations started per second; at a constant arrival rate it should be flat at the offered rate.", "reqps",
                          [target(q.k6_iteration_rate(LOAD, RATE_WINDOW, by), "{{testid}}")]))
        .with_panel(panel("Dropped iterations", "Iterations k6 could not start on time. Any drop means the offered load was not offered: the trial is invalid or the service fell behind.", "short",
                          [target(q.k6_dropped_iterations(LOAD, RATE_WINDOW, by), "{{testid}}")]))
        .with_panel(panel("Client latency", "Latency k6 measured (native histogram): p50, p95, p99 per test.", "s",
                          [target(q.k6_latency_quantile(quantile, LOAD, RATE_WINDOW, by), f"{{{{testid}}}} p{int(quantile * 100)}", ref)
                           for ref, quantile in zip("ABC", (0.5, 0.95, 0.99), strict=True)]))
    )  # fmt: skip


def trends() -> dashboard.Dashboard:
    """Capacity and its p99 across scheduled runs."""
    board = (
        _base(
            "observatory-trends", "Observatory: trends", "Capacity and p99 per framework and workload, run after run."
        )
        .time("now-30d", "now")
        .with_variable(label_variable("framework", q.K6_HTTP_REQS))
        .with_variable(label_variable("profile", q.K6_HTTP_REQS))
        .with_variable(label_variable("workload", q.K6_HTTP_REQS))
        .with_variable(label_variable("run", q.K6_HTTP_REQS))
    )
    legend = "{{framework}}/{{profile}} {{workload}}"
    return (
        board.with_panel(panel("Capacity", "Highest arrival rate meeting the SLO, as each run published it. A drop beyond the usual spread is a regression: confirm with `observatory compare`.", "reqps",
                               [target(q.capacity_trend(TRENDS, "1d"), legend)], width=24))
        .with_panel(panel("p99 at capacity", "Client-side p99 at the capacity rate. It sits just under the SLO by construction; a jump means the SLO, not the service, decided the capacity.", "s",
                          [target(q.p99_at_capacity_trend(TRENDS, "1d"), legend)]))
        .with_panel(panel("Capacity by run", "The latest capacity of each run in the time range.", "reqps",
                          [target(q.capacity_by_run(TRENDS), "{{run}} " + legend)]))
        .with_panel(panel("Peak achieved rate by run", "The highest rate k6 completed (30 s windows) in each run, local or scheduled in the cluster. For a stepped benchmark this is where the service topped out; it ignores the SLO, so it is an upper bound on capacity.", "reqps",
                          [target(q.peak_rate_by_run(TRENDS, "30s"), "{{run}} " + legend)]))
        .with_panel(panel("Capacity per replica count", "Capacity run after run, one line per framework and replica count (and workers per replica): a scaling regression shows as the higher counts falling while one replica holds.", "reqps",
                          [target(q.capacity_by_replicas_trend(TRENDS, "1d"), legend + " ×{{replicas}} replicas, {{workers}} workers")], width=24))
    )  # fmt: skip


def scaling() -> dashboard.Dashboard:
    """How each framework scales: capacity, capacity per replica or worker, and efficiency against one."""
    board = (
        _base(
            "observatory-scaling",
            "Observatory: scaling",
            "Capacity against replicas (cluster sweeps) and workers (local sweeps), frameworks side by side.",
        )
        .time("now-7d", "now")
        .with_variable(label_variable("framework", q.CAPACITY))
        .with_variable(label_variable("profile", q.CAPACITY))
        .with_variable(label_variable("workload", q.CAPACITY, multi=False))  # one workload: bars compare services
        .with_variable(
            label_variable("run", q.CAPACITY, multi=False).sort(VariableSort.ALPHABETICAL_DESC)
        )  # latest first
    )
    legend = "{{framework}}/{{profile}} {{workload}}"
    for unit, where in (
        ("replicas", "the cluster's replica sweep (workers per replica fixed)"),
        ("workers", "a local worker sweep (observatory run --workers), one replica"),
    ):
        board = (
            board.with_panel(
                bars(
                    f"Capacity against {unit}",
                    f"Capacity (highest arrival rate meeting the SLO) at each count of {unit}, per framework side by side, from {where}. Linear scaling doubles the bar when the count doubles.",
                    "reqps",
                    target(q.capacity_at_scale(SCALING, unit), legend),
                    unit,
                )
            )
            .with_panel(
                bars(
                    f"Capacity per {unit[:-1]}",
                    f"Capacity divided by the count of {unit}: what each one contributes. Flat bars are linear scaling; falling bars are contention.",
                    "reqps",
                    target(q.capacity_per_unit(SCALING, unit), legend),
                    unit,
                )
            )
            .with_panel(
                bars(
                    f"Scaling efficiency ({unit})",
                    f"Capacity per {unit[:-1]} over the capacity of one alone: 100% is perfect scaling; where it falls below about 10%, one more {unit[:-1]} no longer pays (the report fits the law and says where).",
                    "percentunit",
                    target(q.scaling_efficiency(SCALING, unit), legend),
                    unit,
                )
            )
        )
    return board.with_panel(
        panel(
            "Requests per CPU second",
            "Requests served per CPU second of the whole service, over time: efficiency whatever the worker or replica count. It drops when workers contend for a lock, the GIL or the database.",
            "short",
            [target(q.requests_per_cpu_second(SERVICES.without("route"), RATE_WINDOW, BY), LEGEND)],
            width=24,
        )
    )


DASHBOARDS = {
    "framework-comparison.json": comparison,
    "load-generator.json": load_generator,
    "scaling.json": scaling,
    "trends.json": trends,
}


def render(build: dashboard.Dashboard) -> str:
    """Stable JSON: sorted keys, two-space indent, `id` null."""
    data = annotation_extras(json.loads(json.dumps(build.build(), cls=JSONEncoder)))
    data["id"] = None
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) every dashboard."""
    parser = argparse.ArgumentParser(prog="python -m dashboards.generate", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a committed dashboard differs from the generated one"
    )
    args = parser.parse_args(argv)
    stale = []
    for filename, factory in DASHBOARDS.items():
        path, text = HERE / filename, render(factory())
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(filename)
        else:
            path.write_text(text)
    if stale:
        print(f"stale dashboards: {', '.join(stale)}; run python -m dashboards.generate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
