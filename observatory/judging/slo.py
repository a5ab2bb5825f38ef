"""The service-level objective every load level is judged against."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_P99_MS = 100.0
DEFAULT_ERROR_RATE = 0.01


@dataclass(frozen=True)
class Slo:
    """Client-side p99 at most `p99_ms` and failed requests at most `error_rate` of those sent."""

    p99_ms: float = DEFAULT_P99_MS
    error_rate: float = DEFAULT_ERROR_RATE
