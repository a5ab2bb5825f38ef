"""With tracing on, one request yields a server span named by its route template and a database span."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from service_common import settings, telemetry
from service_common.routes import route_template


@pytest.fixture
def traced_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[InMemorySpanExporter]:
    """Full instrumentation, every trace sampled, a fresh database; caches cleared before and after."""
    monkeypatch.setenv("OBSERVATORY_INSTRUMENTATION", "full")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "1")
    monkeypatch.setenv("OBSERVATORY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings.get_settings.cache_clear()
    yield InMemorySpanExporter()
    SQLAlchemyInstrumentor().uninstrument()
    settings.get_settings.cache_clear()


def check_spans(exporter: InMemorySpanExporter, route: str) -> None:
    spans = exporter.get_finished_spans()
    servers = [s for s in spans if s.kind == SpanKind.SERVER]
    assert servers, [s.name for s in spans]
    server = servers[-1]
    assert route_template(server.name.split(" ", 1)[1]) == route, server.name
    database = [s for s in spans if s.kind == SpanKind.CLIENT and s.context.trace_id == server.context.trace_id]
    assert database, f"no database span in trace: {[(s.name, s.kind) for s in spans]}"


def test_fastapi(traced_env: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_FRAMEWORK", "fastapi")
    from fastapi_service import database
    from fastapi_service.main import create_app

    database.engine.cache_clear()
    database.sessions.cache_clear()
    database.init_database()
    SQLAlchemyInstrumentor().uninstrument()  # importing the module instrumented it for its own app
    app = create_app(telemetry.tracer_provider(traced_env))

    async def get() -> int:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return (await client.get("/api/users/1")).status_code

    assert asyncio.run(get()) == 200
    check_spans(traced_env, "/api/users/{user_id}")
    database.engine.cache_clear()
    database.sessions.cache_clear()


def test_flask(traced_env: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OBSERVATORY_FRAMEWORK", "flask")
    from flask_service import database
    from flask_service.app import create_app

    database.engine.cache_clear()
    database.init_database()
    SQLAlchemyInstrumentor().uninstrument()  # importing the module instrumented it for its own app
    app = create_app(telemetry.tracer_provider(traced_env))
    assert app.test_client().get("/api/users/1").status_code == 200
    check_spans(traced_env, "/api/users/{user_id}")
    database.engine.cache_clear()


DJANGO_SCRIPT = """
import json, os
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from service_common import telemetry
from django_service.tracing import instrument
exporter = InMemorySpanExporter()
instrument(telemetry.tracer_provider(exporter))
from django_service.database import init_database
init_database()
from django.test import Client
assert Client().get("/api/users/1").status_code == 200
print(json.dumps([[s.name, s.kind.name, s.context.trace_id] for s in exporter.get_finished_spans()]))
"""

OFF_SCRIPT = """
from service_common import metrics, telemetry
assert metrics.request_metrics() is None and telemetry.tracer_provider() is None
from flask_service.database import init_database
init_database()
from flask_service.app import create_app
client = create_app().test_client()
assert client.get("/json").status_code == 200
text = client.get("/metrics").get_data(as_text=True)
assert "observatory_http_requests_total{" not in text, text
print("ok")
"""


def run_script(script: str, env: dict[str, str]) -> str:
    """Run `script` in a fresh interpreter (Django configures itself once per process)."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_django(tmp_path: Path) -> None:
    import json

    env = {"OBSERVATORY_INSTRUMENTATION": "full", "OTEL_TRACES_SAMPLER_ARG": "1", "OBSERVATORY_DATA_DIR": str(tmp_path),
           "OBSERVATORY_FRAMEWORK": "django", "DJANGO_SETTINGS_MODULE": "django_service.settings"}  # fmt: skip
    spans = json.loads(run_script(DJANGO_SCRIPT, env))
    servers = [s for s in spans if s[1] == "SERVER"]
    assert servers and "api/users/<int:user_id>" in servers[-1][0].replace("^", ""), spans
    assert any(s[1] == "CLIENT" and s[2] == servers[-1][2] for s in spans), spans


def test_instrumentation_off_records_nothing(tmp_path: Path) -> None:
    env = {
        "OBSERVATORY_INSTRUMENTATION": "off",
        "OBSERVATORY_DATA_DIR": str(tmp_path),
        "OBSERVATORY_FRAMEWORK": "flask",
    }
    assert run_script(OFF_SCRIPT, env) == "ok"
