"""The Flask application: an app factory, JSON errors, request metrics and tracing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, Response, abort, g, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter

from flask_service.views import bench
from service_common import errors
from service_common.limits import MAX_BODY_BYTES
from service_common.metric_names import UNMATCHED_ROUTE
from service_common.metrics import request_metrics
from service_common.routes import route_template
from service_common.telemetry import install_global, tracer_provider

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

MESSAGES = {404: errors.NOT_FOUND, 405: errors.METHOD_NOT_ALLOWED, 413: errors.PAYLOAD_TOO_LARGE}


class AsciiDigits(BaseConverter):
    """An id of ASCII digits only: werkzeug's `int` takes any Unicode digit (`/api/users/١` would be user 1)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        return int(value)


def _exact_path() -> None:
    """Paths match exactly: werkzeug's matcher skips empty segments (`//json` would be `/json`) even without
    merge_slashes, so a doubled slash is refused here."""
    if "//" in request.environ.get("PATH_INFO", ""):
        abort(404)


def _http_error(error: HTTPException) -> Response:
    """Every HTTP error as the contract's JSON body, keeping headers such as Allow."""
    response = jsonify(errors.error_body(MESSAGES.get(error.code or 500, error.name)))
    response.status_code = error.code or 500
    for name, value in error.get_headers():
        if name.lower() == "allow":  # one order everywhere (werkzeug keeps a rule's methods in a set)
            response.headers["Allow"] = ", ".join(sorted({method.strip() for method in value.split(",")}))
    return response


def _add_metrics(app: Flask) -> None:
    metrics = request_metrics()
    if metrics is None:
        return

    @app.before_request
    def start_timer() -> None:
        if request.path != "/metrics":
            g.metrics_start = metrics.started()

    @app.after_request
    def record(response: Response) -> Response:
        start = g.pop("metrics_start", None)
        if start is not None:
            route = route_template(request.url_rule.rule) if request.url_rule else UNMATCHED_ROUTE
            metrics.finished(start, route, request.method, response.status_code)
        return response


def create_app(provider: TracerProvider | None = None) -> Flask:
    """The app; tracing uses `provider`, or the one the settings call for."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False  # OPTIONS is a 405 like everywhere else (the contract)
    app.url_map.merge_slashes = False  # `//json` is a 404, not a redirect
    app.url_map.converters["digits"] = AsciiDigits
    app.json.compact = True  # type: ignore[attr-defined]
    app.register_blueprint(bench)
    app.register_error_handler(HTTPException, _http_error)
    app.before_request(_exact_path)
    _add_metrics(app)
    provider = provider or tracer_provider()
    if provider is not None:
        from opentelemetry.instrumentation.flask import FlaskInstrumentor
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        from flask_service.database import engine

        install_global(provider)
        FlaskInstrumentor().instrument_app(app, tracer_provider=provider)
        SQLAlchemyInstrumentor().instrument(engine=engine(), tracer_provider=provider)
    return app


app = create_app()
