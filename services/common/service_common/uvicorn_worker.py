"""gunicorn's uvicorn worker speaking through the guarded protocol (service_common.uvicorn_protocol)."""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn.workers import UvicornWorker


class GuardedUvicornWorker(UvicornWorker):
    """gunicorn's uvicorn worker speaking through GuardedHttpToolsProtocol."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "uvloop",
        "http": "service_common.uvicorn_protocol:GuardedHttpToolsProtocol",
    }
