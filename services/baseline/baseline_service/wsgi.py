"""The raw WSGI baseline: the contract's database-free routes, no framework."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from baseline_service.routes import answer
from service_common.metric_names import UNMATCHED_ROUTE
from service_common.metrics import render_metrics, request_metrics
from service_common.routes import route_template
from service_common.telemetry import install_global, tracer_provider

REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 422: "Unprocessable Entity"}


def _app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    metrics = request_metrics()
    path = environ.get("PATH_INFO", "")
    method = environ["REQUEST_METHOD"]
    start = metrics.started() if metrics and path != "/metrics" else None
    result = answer(method, path, environ.get("QUERY_STRING", ""), lambda: render_metrics(environ.get("HTTP_ACCEPT")))
    if result.wait_ms:
        time.sleep(result.wait_ms / 1000)
    headers = [("Content-Type", result.content_type), ("Content-Length", str(len(result.body)))]
    if result.allow:
        headers.append(("Allow", result.allow))
    start_response(f"{result.status} {REASONS[result.status]}", headers)
    if start is not None and metrics is not None:
        route = route_template(path) if result.status != 404 else UNMATCHED_ROUTE
        metrics.finished(start, route, method, result.status)
    return [b"" if method == "HEAD" else result.body]


def create_app() -> Any:
    """The WSGI callable, wrapped in the official OpenTelemetry middleware when tracing is on."""
    provider = tracer_provider()
    if provider is None:
        return _app
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware

    install_global(provider)
    return OpenTelemetryMiddleware(_app, tracer_provider=provider)


app = create_app()
