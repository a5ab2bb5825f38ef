"""The read timeout a proxy in front of a service applies (env `REQUEST_READ_TIMEOUT`, default
`limits.REQUEST_READ_SECONDS`): nginx's `client_header_timeout` and `client_body_timeout` (observatory/run/proxy.py).

Stock servers have their own settings instead (docs/servers.md): gunicorn's `timeout`, nothing on uvicorn. The
launcher still validates the variable, so a bad value is a one-line error at start, not a proxy that never starts.
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
