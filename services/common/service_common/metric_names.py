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

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075,
    0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
