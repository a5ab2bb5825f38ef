"""Request metrics as a pure ASGI middleware (no BaseHTTPMiddleware: it would cost a task per request)."""

from __future__ import annotations

from typing import Any

from service_common.metric_names import UNMATCHED_ROUTE
from service_common.metrics import RequestMetrics
from service_common.routes import route_template

Scope = dict[str, Any]


class MetricsMiddleware:
    """Times each request and labels it with its route template, method and status."""

    def __init__(self, app: Any, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        start = self.metrics.started()
        status = 500

        async def send_and_note_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route = scope.get("route")
            template = route_template(route.path) if route is not None else UNMATCHED_ROUTE
            self.metrics.finished(start, template, scope["method"], status)


class HeadAsGet:
    """HEAD answered as GET on every GET route (the contract); uvicorn sends the headers and drops the body.

    Declaring HEAD on each route instead would give every GET operation a twin in the generated OpenAPI.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, send)
