"""At most N requests inside an ASGI application at once; the rest wait (they are not refused).

A request takes a slot only once its whole body has arrived (bodies are at most 16 KiB, the server layer
refuses larger ones): a slow client must not hold a slot, and with it a thread and a database connection.
"""

from __future__ import annotations

import asyncio
from typing import Any

Message = dict[str, Any]


async def read_body(receive: Any) -> list[Message]:
    """The request's messages up to its last body part (or a disconnect)."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


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
        buffered = await read_body(receive)

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        async with self._slots:
            await self.app(scope, replay, send)
