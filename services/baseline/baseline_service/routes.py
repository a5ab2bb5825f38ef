"""What both baselines answer, without a framework: status, content type and body per route."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from service_common import errors
from service_common.limits import CPU_N_DEFAULT, CPU_N_MAX, CPU_N_MIN, IO_MS_DEFAULT, IO_MS_MAX, IO_MS_MIN
from service_common.params import bounded_int
from service_common.workload_rules import HELLO, cpu_work

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
ROUTES = ("/json", "/plaintext", "/io", "/cpu", "/health/live", "/health/ready", "/metrics")


@dataclass(frozen=True)
class Answer:
    """A response before the server writes it; `wait_ms` asks the caller to wait first (the I/O workload)."""

    status: int
    body: bytes
    content_type: str = JSON
    wait_ms: int = 0
    allow: str | None = None


def _json(status: int, payload: object, **kwargs: object) -> Answer:
    return Answer(status, json.dumps(payload, separators=(",", ":")).encode(), **kwargs)  # type: ignore[arg-type]


def _bounded(query: str, name: str, default: int, low: int, high: int) -> int | Answer:
    values = parse_qs(query, keep_blank_values=True).get(name)
    value = bounded_int(values[0] if values else None, default, low, high)
    if isinstance(value, str):
        return _json(422, errors.error_body(errors.VALIDATION_FAILED, {name: [value]}))
    return value


def answer(method: str, path: str, query: str, metrics: Callable[[], tuple[bytes, str]]) -> Answer:
    """The answer to one request (the metrics renderer is passed in: it needs the Accept header)."""
    if path not in ROUTES:
        return _json(404, errors.error_body(errors.NOT_FOUND))
    if method not in ("GET", "HEAD"):
        return _json(405, errors.error_body(errors.METHOD_NOT_ALLOWED), allow="GET, HEAD")
    if path == "/json":
        return _json(200, {"message": HELLO})
    if path == "/plaintext":
        return Answer(200, HELLO.encode(), TEXT)
    if path == "/io":
        ms = _bounded(query, "ms", IO_MS_DEFAULT, IO_MS_MIN, IO_MS_MAX)
        return ms if isinstance(ms, Answer) else _json(200, {"waited_ms": ms}, wait_ms=ms)
    if path == "/cpu":
        n = _bounded(query, "n", CPU_N_DEFAULT, CPU_N_MIN, CPU_N_MAX)
        return n if isinstance(n, Answer) else _json(200, {"n": n, "result": cpu_work(n)})
    if path == "/metrics":
        body, content_type = metrics()
        return Answer(200, body, content_type)
    return _json(200, {"status": "ok"})
