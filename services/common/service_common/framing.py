"""Rules for the bytes of a request that every server layer applies before a framework sees it.

A request must arrive in full within `request_read_seconds()` of its first byte (env `REQUEST_READ_TIMEOUT`,
default `limits.REQUEST_READ_SECONDS`), or the server answers 408 and closes the connection. A body larger
than `MAX_BODY_BYTES` (announced or chunked) is answered 413 before routing. Chunked bodies are de-chunked,
so a framework sees a body with a Content-Length. See services/README.md, "Hostile clients".
"""

from __future__ import annotations

import os

from service_common.limits import REQUEST_READ_SECONDS


class FramingError(ValueError):
    """A setting for request framing that cannot be used."""


def request_read_seconds() -> float:
    """Seconds a request (head and body) may take to arrive after its first byte."""
    raw = os.environ.get("REQUEST_READ_TIMEOUT", str(REQUEST_READ_SECONDS))
    try:
        seconds = float(raw)
    except ValueError:
        raise FramingError(f"REQUEST_READ_TIMEOUT must be a number of seconds, got {raw!r}") from None
    if not 0 < seconds <= 300:
        raise FramingError(f"REQUEST_READ_TIMEOUT must be in (0, 300] seconds, got {seconds}")
    return seconds


class RequestTimeout(Exception):
    """The request did not arrive in full in time (deliberately not an OSError: servers log those as crashes)."""
