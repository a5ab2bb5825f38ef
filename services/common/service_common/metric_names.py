"""The Prometheus metric names and labels every service exposes: the one source for services, queries and dashboards."""

from __future__ import annotations

REQUESTS_TOTAL = "observatory_http_requests_total"
REQUEST_DURATION = "observatory_http_request_duration_seconds"
IN_FLIGHT = "observatory_http_requests_in_flight"
CPU_SECONDS = "observatory_process_cpu_seconds_total"
RESIDENT_MEMORY = "observatory_process_resident_memory_bytes"
PROPORTIONAL_MEMORY = "observatory_process_proportional_memory_bytes"
PROCESSES = "observatory_process_count"
SERVICE_INFO = "observatory_service_info"

SERVICE_LABELS = ("framework", "profile")
REQUEST_LABELS = (*SERVICE_LABELS, "route", "method", "status")
UNMATCHED_ROUTE = "unmatched"

# Request-duration buckets. histogram_quantile places a quantile inside one bucket, so its error is at most the
# bucket's width relative to its lower edge: from 1 ms to 100 ms the edges grow by LATENCY_BUCKET_GROWTH (9 %),
# which keeps a server-side p99 within 10 % of the true value there (tests/services/test_latency_buckets.py).
# Outside that range the buckets are coarse on purpose: the SLO's decisions happen inside it.
LATENCY_BUCKET_GROWTH = 1.09
LATENCY_FINE_RANGE = (0.001, 0.1)
LATENCY_BUCKETS = (
    0.00025, 0.0005, 0.00075,
    *(round(LATENCY_FINE_RANGE[0] * LATENCY_BUCKET_GROWTH**k, 7) for k in range(55)),  # 1 ms ... 105 ms
    0.15, 0.2, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
