"""Request metrics shared by every service, exact under multi-process servers.

With `PROMETHEUS_MULTIPROC_DIR` set (any server with several workers: the launcher sets it above 1 worker, on
every server alike, service_common.launch.metrics_mode) each worker writes its own files and a scrape reads them all, including those of workers that died;
without it (one process) the latency histogram carries trace ids as exemplars.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder

from service_common import metric_names as names
from service_common.process_tree import ProcessTreeCollector
from service_common.settings import get_settings


def multiprocess_dir() -> str | None:
    """The folder of per-worker metric files, when the service runs several processes."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


@dataclass
class RequestMetrics:
    """The request counter, latency histogram and in-flight gauge of one service.

    Labelled children are looked up once per route, method and status and kept: `labels()` validates and
    locks on every call, a cost paid per request otherwise.
    """

    requests: Counter
    duration: Histogram
    in_flight: Gauge
    framework: str
    profile: str
    exemplars: bool
    _children: dict[tuple[str, str, int], tuple[Any, Any]] = field(default_factory=dict, repr=False)
    _in_flight: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._in_flight = self.in_flight.labels(self.framework, self.profile)

    def started(self) -> float:
        """Count a request as in flight and return its start time."""
        self._in_flight.inc()
        return time.perf_counter()

    def finished(self, start: float, route: str, method: str, status: int) -> None:
        """Record one served request under its route template."""
        elapsed = time.perf_counter() - start
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            labels = (self.framework, self.profile, route, method, str(status))
            children = self._children[key] = (self.requests.labels(*labels), self.duration.labels(*labels))
        counter, histogram = children
        counter.inc()
        if self.exemplars:
            histogram.observe(elapsed, _trace_exemplar())
        else:
            histogram.observe(elapsed)
        self._in_flight.dec()


def _trace_exemplar() -> dict[str, str] | None:
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not (context.is_valid and context.trace_flags.sampled):
        return None
    return {"trace_id": format(context.trace_id, "032x")}


def _strip_total(name: str) -> str:
    return name.removesuffix("_total")


@lru_cache(maxsize=1)
def request_metrics() -> RequestMetrics | None:
    """The process's request metrics, or None when instrumentation is off."""
    settings = get_settings()
    if not settings.metrics_enabled:
        return None
    labels = names.REQUEST_LABELS
    metrics = RequestMetrics(
        requests=Counter(_strip_total(names.REQUESTS_TOTAL), "HTTP requests served.", labels),
        duration=Histogram(
            names.REQUEST_DURATION, "Time to serve a request, in seconds.", labels, buckets=names.LATENCY_BUCKETS
        ),
        in_flight=Gauge(
            names.IN_FLIGHT, "Requests being served now.", names.SERVICE_LABELS, multiprocess_mode="livesum"
        ),
        framework=settings.framework,
        profile=settings.profile,
        exemplars=settings.tracing_enabled and multiprocess_dir() is None,
    )
    if multiprocess_dir() is None:
        REGISTRY.register(ProcessTreeCollector(settings.framework, settings.profile))
    return metrics


def _mark_dead_workers(directory: str) -> None:
    import psutil

    for entry in os.scandir(directory):
        if entry.name.startswith("gauge_live") and entry.name.endswith(".db"):
            pid = int(entry.name.rsplit("_", 1)[1].removesuffix(".db"))
            if not psutil.pid_exists(pid):
                multiprocess.mark_process_dead(pid, directory)


def render_metrics(accept_header: str | None) -> tuple[bytes, str]:
    """The exposition body and its content type, negotiated from the Accept header."""
    settings = get_settings()
    directory = multiprocess_dir()
    if directory is None:
        registry = REGISTRY
    else:
        _mark_dead_workers(directory)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, directory)
        registry.register(ProcessTreeCollector(settings.framework, settings.profile))
    encoder, content_type = choose_encoder(accept_header or "")
    return encoder(registry), content_type
