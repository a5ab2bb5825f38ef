"""At most N requests inside an ASGI application at once; the rest wait (they are not refused)."""

from __future__ import annotations

import asyncio
from typing import Any


class ConcurrencyLimit:
    """Bounds how many HTTP requests run in `app` at once (Django under ASGI: one thread and one connection each)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)
