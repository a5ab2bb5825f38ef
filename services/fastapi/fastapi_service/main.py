"""The FastAPI application: routes, JSON errors, request metrics and tracing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from fastapi_service import errors
from fastapi_service.middleware import HeadAsGet, MetricsMiddleware
from fastapi_service.routes import router
from service_common.metrics import request_metrics
from service_common.telemetry import install_global, tracer_provider

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def create_app(provider: TracerProvider | None = None) -> FastAPI:
    """The app; tracing uses `provider`, or the one the settings call for."""
    # the contract's paths match exactly: `/json/` is a 404 like everywhere else, not a redirect
    app = FastAPI(title="Observatory FastAPI service", version="1.0.0", redirect_slashes=False)
    app.include_router(router)
    errors.install(app)
    app.add_middleware(HeadAsGet)
    metrics = request_metrics()
    if metrics is not None:
        app.add_middleware(MetricsMiddleware, metrics=metrics)
    provider = provider or tracer_provider()
    if provider is not None:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        from fastapi_service.database import engine

        install_global(provider)
        # no internal span per ASGI send/receive message: one server span per request, as the other services have
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=provider, excluded_urls="metrics", exclude_spans=["receive", "send"]
        )
        SQLAlchemyInstrumentor().instrument(engine=engine().sync_engine, tracer_provider=provider)
    return app


app = create_app()
