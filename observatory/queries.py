"""Every PromQL expression the observatory uses: the report, the harness and the dashboards all take them from here.

Each function returns one expression for a set of label matchers and a window, so the same
query serves a concrete trial (`framework="flask"`, `[42s]`) and a Grafana panel
(`framework=~"$framework"`, `[$__rate_interval]`).
"""

from __future__ import annotations

from dataclasses import dataclass

from service_common import metric_names as names

# k6's remote-write output names (prefix k6_, native histograms for trends).
K6_HTTP_REQS = "k6_http_reqs_total"
K6_HTTP_REQ_DURATION = "k6_http_req_duration_seconds"
K6_HTTP_REQ_FAILED = "k6_http_req_failed_rate"
K6_DROPPED_ITERATIONS = "k6_dropped_iterations_total"
K6_ITERATIONS = "k6_iterations_total"
K6_VUS = "k6_vus"
K6_VUS_MAX = "k6_vus_max"


@dataclass(frozen=True)
class Matchers:
    """Label matchers; values that look like Grafana variables (`$x`) match as regular expressions."""

    labels: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, **labels: str | None) -> Matchers:
        """Matchers for the labels given (None values are left out)."""
        return cls(tuple((k, v) for k, v in labels.items() if v is not None))

    def render(self, *extra: str) -> str:
        """`{a="1",b=~"$b"}` plus any extra raw matchers."""
        parts = [f'{k}=~"{v}"' if v.startswith("$") or v == ".*" else f'{k}="{v}"' for k, v in self.labels]
        return "{" + ",".join([*parts, *extra]) + "}"

    def without(self, *keys: str) -> Matchers:
        """The same matchers less `keys` (k6 metrics have no route label, for instance)."""
        return Matchers(tuple((k, v) for k, v in self.labels if k not in keys))


# --- served requests (the services' own metrics) ---------------------------------------------


def served_rate(m: Matchers, window: str, by: str = "framework") -> str:
    """Requests served per second."""
    return f"sum by ({by}) (rate({names.REQUESTS_TOTAL}{m.render()}[{window}]))"


def served_error_ratio(m: Matchers, window: str, by: str = "framework") -> str:
    """Share of served requests answered with a 5xx."""
    errors = m.render('status=~"5.."')
    total = f"sum by ({by}) (rate({names.REQUESTS_TOTAL}{m.render()}[{window}]))"
    # `or total * 0`: zero, not "no data", while no request has failed
    return f"(sum by ({by}) (rate({names.REQUESTS_TOTAL}{errors}[{window}])) or {total} * 0) / {total}"


def served_latency_quantile(q: float, m: Matchers, window: str, by: str = "framework") -> str:
    """Server-side latency quantile from the services' histograms, in seconds."""
    return f"histogram_quantile({q}, sum by ({by}, le) (rate({names.REQUEST_DURATION}_bucket{m.render()}[{window}])))"


def in_flight(m: Matchers, by: str = "framework") -> str:
    """Requests being served now."""
    return f"sum by ({by}) ({names.IN_FLIGHT}{m.without('route', 'method', 'status').render()})"


# --- resources (the services' process-tree collector) ----------------------------------------


def cpu_cores(m: Matchers, window: str, by: str = "framework") -> str:
    """CPU cores the whole service uses (CPU seconds per second)."""
    return f"sum by ({by}) (rate({names.CPU_SECONDS}{m.without('route', 'method', 'status').render()}[{window}]))"


def resident_memory(m: Matchers, by: str = "framework") -> str:
    """Resident memory of all the service's processes, in bytes."""
    return f"sum by ({by}) ({names.RESIDENT_MEMORY}{m.without('route', 'method', 'status').render()})"


def peak_resident_memory(m: Matchers, window: str) -> str:
    """The highest resident memory over the window, in bytes."""
    return f"max(max_over_time({names.RESIDENT_MEMORY}{m.without('route', 'method', 'status').render()}[{window}]))"


def peak_proportional_memory(m: Matchers, window: str) -> str:
    """The highest proportional set size (shared pages split) over the window, in bytes."""
    return f"max(max_over_time({names.PROPORTIONAL_MEMORY}{m.without('route', 'method', 'status').render()}[{window}]))"


# --- the load generator (k6 remote write, tagged with testid, framework, profile, workload) ---


def k6_request_rate(m: Matchers, window: str, by: str = "framework") -> str:
    """Requests k6 completed per second."""
    return f"sum by ({by}) (rate({K6_HTTP_REQS}{m.render()}[{window}]))"


def k6_latency_quantile(q: float, m: Matchers, window: str, by: str = "framework") -> str:
    """Client-side latency quantile from k6's native histogram, in seconds."""
    return f"histogram_quantile({q}, sum by ({by}) (rate({K6_HTTP_REQ_DURATION}{m.render()}[{window}])))"


def k6_dropped_iterations(m: Matchers, window: str, by: str = "framework") -> str:
    """Iterations k6 could not start for lack of VUs, per second: the generator fell behind.

    k6 sends the series only once it has dropped an iteration, so `or` the iteration rate times 0: zero while it
    keeps up, not "no data" (which reads as a broken scrape)."""
    dropped = f"sum by ({by}) (rate({K6_DROPPED_ITERATIONS}{m.render()}[{window}]))"
    return f"({dropped} or {k6_iteration_rate(m, window, by)} * 0)"


def k6_iteration_rate(m: Matchers, window: str, by: str = "framework") -> str:
    """Iterations k6 started per second."""
    return f"sum by ({by}) (rate({K6_ITERATIONS}{m.render()}[{window}]))"


def k6_vus(m: Matchers, by: str = "framework") -> str:
    """Virtual users k6 is running now."""
    return f"sum by ({by}) ({K6_VUS}{m.render()})"


def k6_failed_ratio(m: Matchers, by: str = "framework") -> str:
    """Share of k6's requests that failed (status or connection)."""
    return f"avg by ({by}) ({K6_HTTP_REQ_FAILED}{m.render()})"


# --- the cluster's cAdvisor metrics (pods of the services chart, container "service") ---------


def container_cpu_cores(namespace: str, pod: str, window: str) -> str:
    """CPU cores used by the services' containers, from the kubelet's cAdvisor."""
    return (
        f'sum by (pod) (rate(container_cpu_usage_seconds_total{{namespace=~"{namespace}",pod=~"{pod}",'
        f'container="service"}}[{window}]))'
    )


def container_memory(namespace: str, pod: str) -> str:
    """Working-set memory of the services' containers, from cAdvisor."""
    return f'sum by (pod) (container_memory_working_set_bytes{{namespace=~"{namespace}",pod=~"{pod}",container="service"}})'


# --- trends across runs: capacities published by local runs (loadtests/publish-capacity.js), and the k6
# metrics every run remote-writes, which is all the cluster's scheduled step benchmarks send ---

CAPACITY = "k6_observatory_capacity_rps"
CAPACITY_P99 = "k6_observatory_capacity_p99_seconds"


def capacity_by_run(m: Matchers) -> str:
    """The capacity each run found, per framework, profile and workload."""
    return f"max by (run, framework, profile, workload) (last_over_time({CAPACITY}{m.render()}[$__range]))"


def capacity_trend(m: Matchers, window: str) -> str:
    """Capacity over time: one point per published run."""
    return f"max by (framework, profile, workload) (max_over_time({CAPACITY}{m.render()}[{window}]))"


def p99_at_capacity_trend(m: Matchers, window: str) -> str:
    """Client-side p99 at the capacity rate, over time."""
    return f"max by (framework, profile, workload) (max_over_time({CAPACITY_P99}{m.render()}[{window}]))"


def peak_rate_by_run(m: Matchers, window: str, resolution: str = "5s") -> str:
    """The highest rate k6 completed over `window` during each run: where a stepped or laddered benchmark topped out.

    Not the SLO capacity (p99 and errors are not applied). The cluster's scheduled runs publish no capacity to
    Prometheus (`observatory import-k6` derives it from their summaries), so this is their trend line.
    """
    inner = f"sum by (run, framework, profile, workload) (rate({K6_HTTP_REQS}{m.render()}[{window}]))"
    # the subquery samples the rate every `resolution` (aligned to multiples of it), so runs shorter than `window`
    # still get a point
    return f"max by (run, framework, profile, workload) (max_over_time({inner}[$__range:{resolution}]))"


# --- scaling: capacities by replica or worker count (both published with `replicas` and `workers` labels, and the
# counts as values too, since PromQL cannot divide by a label) ---

CAPACITY_REPLICAS = "k6_observatory_capacity_replicas"
CAPACITY_WORKERS = "k6_observatory_capacity_workers"
CAPACITY_LABELS = "run, framework, profile, workload, workers, replicas"


def _service(expr: str) -> str:
    """`expr` with a `service` label, framework/profile: one bar per service when bars are grouped by count."""
    return f'label_join({expr}, "service", "/", "framework", "profile")'


def _latest(metric: str, m: Matchers, by: str = CAPACITY_LABELS, *extra: str) -> str:
    return f"max by ({by}) (last_over_time({metric}{m.render(*extra)}[$__range]))"


def capacity_at_scale(m: Matchers, unit: str) -> str:
    """The latest capacity per framework at each count of `unit` ("replicas" or "workers")."""
    return _service(f"max by (framework, profile, workload, {unit}) ({_latest(CAPACITY, m)})")


def capacity_per_unit(m: Matchers, unit: str) -> str:
    """Capacity divided by the count of `unit`: the throughput one replica (or worker) contributes."""
    counts = CAPACITY_REPLICAS if unit == "replicas" else CAPACITY_WORKERS
    ratio = f"{_latest(CAPACITY, m)} / on ({CAPACITY_LABELS}) {_latest(counts, m)}"
    return _service(f"max by (framework, profile, workload, {unit}) ({ratio})")


def scaling_efficiency(m: Matchers, unit: str) -> str:
    """Capacity per replica (or worker) over the capacity of one alone, the other count held: 1 is perfect scaling."""
    other = "workers" if unit == "replicas" else "replicas"
    counts = CAPACITY_REPLICAS if unit == "replicas" else CAPACITY_WORKERS
    per_unit = f"({_latest(CAPACITY, m)} / on ({CAPACITY_LABELS}) {_latest(counts, m)})"
    one = _latest(CAPACITY, m, f"run, framework, profile, workload, {other}", f'{unit}="1"')
    ratio = f"{per_unit} / on (run, framework, profile, workload, {other}) group_left () {one}"
    return _service(f"max by (framework, profile, workload, {unit}) ({ratio})")


def capacity_by_replicas_trend(m: Matchers, window: str) -> str:
    """Capacity over time per replica and worker count: one point per published run."""
    return f"max by (framework, profile, workload, replicas, workers) (max_over_time({CAPACITY}{m.render()}[{window}]))"


def requests_per_cpu_second(m: Matchers, window: str, by: str = "framework") -> str:
    """Requests served per CPU second of the whole service: its efficiency, whatever the worker count."""
    return f"{served_rate(m, window, by)} / {cpu_cores(m, window, by)}"


def cpu_seconds_per_1k(m: Matchers, window: str, by: str = "framework") -> str:
    """CPU seconds the whole service spends per 1,000 requests served."""
    return f"1000 * {cpu_cores(m, window, by)} / {served_rate(m, window, by)}"


# --- distributions and events ---


def k6_latency_histogram(m: Matchers, window: str) -> str:
    """k6's client latency as a native histogram (for a heatmap)."""
    return f"sum(rate({K6_HTTP_REQ_DURATION}{m.render()}[{window}]))"


def served_latency_buckets(m: Matchers, window: str) -> str:
    """The services' latency buckets per `le` (for a heatmap)."""
    return f"sum by (le) (rate({names.REQUEST_DURATION}_bucket{m.render()}[{window}]))"


def benchmark_running(m: Matchers) -> str:
    """One series per k6 test while it runs (its VUs): an annotation region from each benchmark's start to its end."""
    return f"max by (run, testid, framework, profile, workload) ({K6_VUS}{m.render()})"
