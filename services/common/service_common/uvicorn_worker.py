"""gunicorn's uvicorn worker speaking through the guarded protocol (service_common.uvicorn_protocol)."""

from __future__ import annotations

from typing import Any

from uvicorn.workers import UvicornWorker


class GuardedUvicornWorker(UvicornWorker):
    """gunicorn's uvicorn worker speaking through GuardedHttpToolsProtocol."""

    CONFIG_KWARGS: dict[str, Any] = {  # noqa: RUF012 - uvicorn's own declaration
        "loop": "uvloop",
        "http": "service_common.uvicorn_protocol:GuardedHttpToolsProtocol",
    }
