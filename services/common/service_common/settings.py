"""Every setting a service reads, read once from the environment, with its documented default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

INSTRUMENTATION_MODES = ("off", "metrics", "full")
# The one home of the instrumentation default, read by the services, the launcher, `observatory run` and the
# harness (tests/test_one_definition.py holds the charts' values and the docs to it). Metrics only: the server-side
# figures and the request-count check need them, while traces cost a share of throughput that differs between
# frameworks (benchmarks/instrumentation_overhead.py measures it), so a traced comparison would be unfair.
DEFAULT_INSTRUMENTATION = "metrics"


class SettingsError(ValueError):
    """A setting has a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    """Service settings; see services/README.md for the table of variables."""

    framework: str
    profile: str
    database_url: str
    instrumentation: str
    trace_sample_ratio: float
    otlp_endpoint: str | None

    @property
    def metrics_enabled(self) -> bool:
        """Prometheus metrics are recorded (modes `metrics` and `full`)."""
        return self.instrumentation != "off"

    @property
    def tracing_enabled(self) -> bool:
        """OpenTelemetry traces are recorded (mode `full`)."""
        return self.instrumentation == "full"


def data_dir() -> Path:
    """Where a service keeps its SQLite file and metric files (`OBSERVATORY_DATA_DIR`, default ./var)."""
    return Path(os.environ.get("OBSERVATORY_DATA_DIR", "var")).resolve()


def default_database_url(framework: str) -> str:
    """SQLite in the data folder, one file per framework."""
    return f"sqlite:///{data_dir() / f'{framework}.sqlite3'}"


def _ratio(raw: str) -> float:
    try:
        ratio = float(raw)
    except ValueError:
        raise SettingsError(f"OTEL_TRACES_SAMPLER_ARG must be a number in [0, 1], got {raw!r}") from None
    if not 0.0 <= ratio <= 1.0:
        raise SettingsError(f"OTEL_TRACES_SAMPLER_ARG must be in [0, 1], got {ratio}")
    return ratio


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings from the environment once per process."""
    framework = os.environ.get("OBSERVATORY_FRAMEWORK", "unknown")
    instrumentation = os.environ.get("OBSERVATORY_INSTRUMENTATION", DEFAULT_INSTRUMENTATION).lower()
    if instrumentation not in INSTRUMENTATION_MODES:
        raise SettingsError(
            f"OBSERVATORY_INSTRUMENTATION must be one of {', '.join(INSTRUMENTATION_MODES)}, got {instrumentation!r}"
        )
    return Settings(
        framework=framework,
        profile=os.environ.get("OBSERVATORY_PROFILE", "unknown"),
        database_url=os.environ.get("DATABASE_URL") or default_database_url(framework),
        instrumentation=instrumentation,
        trace_sample_ratio=_ratio(os.environ.get("OTEL_TRACES_SAMPLER_ARG", "0.01")),
        otlp_endpoint=os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
    )
