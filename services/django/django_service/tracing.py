"""OpenTelemetry for Django: the official Django, SQLite and psycopg instrumentations, before the app loads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from service_common.telemetry import install_global, tracer_provider

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def instrument(provider: TracerProvider | None = None) -> None:
    """Instrument requests and database calls (must run before Django builds its middleware chain)."""
    provider = provider or tracer_provider()
    if provider is None:
        return
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

    install_global(provider)
    DjangoInstrumentor().instrument(tracer_provider=provider)
    SQLite3Instrumentor().instrument(tracer_provider=provider)
    PsycopgInstrumentor().instrument(tracer_provider=provider, skip_dep_check=True)
