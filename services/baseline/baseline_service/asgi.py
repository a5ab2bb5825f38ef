"""The raw ASGI baseline: the contract's database-free routes, no framework."""

from __future__ import annotations

import asyncio
from typing import Any

from baseline_service.routes import answer
from service_common.metric_names import UNMATCHED_ROUTE
from service_common.metrics import render_metrics, request_metrics
from service_common.routes import route_template
from service_common.telemetry import install_global, tracer_provider

Scope = dict[str, Any]


async def _app(scope: Scope, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    metrics = request_metrics()
    path = scope["path"]
    start = metrics.started() if metrics and path != "/metrics" else None
    headers = dict(scope.get("headers") or [])
    accept = headers.get(b"accept", b"").decode("latin-1")
    result = answer(
        scope["method"], path, scope.get("query_string", b"").decode("latin-1"), lambda: render_metrics(accept)
    )
    if result.wait_ms:
        await asyncio.sleep(result.wait_ms / 1000)
    response_headers = [
        (b"content-type", result.content_type.encode()),
        (b"content-length", str(len(result.body)).encode()),
    ]
    if result.allow:
        response_headers.append((b"allow", result.allow.encode()))
    await send({"type": "http.response.start", "status": result.status, "headers": response_headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else result.body})
    if start is not None and metrics is not None:
        route = route_template(path) if result.status != 404 else UNMATCHED_ROUTE
        metrics.finished(start, route, scope["method"], result.status)


def create_app() -> Any:
    """The ASGI callable, wrapped in the official OpenTelemetry middleware when tracing is on."""
    provider = tracer_provider()
    if provider is None:
        return _app
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    install_global(provider)
    return OpenTelemetryMiddleware(_app, tracer_provider=provider)


app = create_app()
