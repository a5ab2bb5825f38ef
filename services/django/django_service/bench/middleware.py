"""Request metrics as Django middleware, labelled with the resolved route template."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from service_common.metric_names import UNMATCHED_ROUTE
from service_common.metrics import request_metrics
from service_common.routes import route_template


class RequestMetricsMiddleware:
    """Times every request but the scrape itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.metrics = request_metrics()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.metrics is None or request.path == "/metrics":
            return self.get_response(request)
        start = self.metrics.started()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            match = getattr(request, "resolver_match", None)
            route = route_template(match.route) if match is not None else UNMATCHED_ROUTE
            self.metrics.finished(start, route, request.method or "GET", status)
