"""uvicorn's httptools protocol with the contract's framing rules (service_common.framing).

uvicorn has no limit on how long a request may take to arrive: a client that sends half a request line, or
announces a body it never sends, holds its connection (and, for a body, the application's task) forever.
This protocol gives every request `request_read_seconds()` from its first byte to its last, answers 408
with the contract's `Error` body when that runs out, applies gunicorn's head limits (414, 431) and the
body limit (413) before the application runs, and answers parse errors with the `Error` body too.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service_common.errors import raw_error_response
from service_common.framing import request_read_seconds
from service_common.limits import MAX_BODY_BYTES, MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_REQUEST_LINE_BYTES

SERVER = "uvicorn"
MAX_HEAD_BYTES = MAX_REQUEST_LINE_BYTES + MAX_HEADER_FIELDS * (MAX_HEADER_FIELD_BYTES + 2) + 4


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a per-request deadline, head and body limits, and `Error` bodies."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_seconds = request_read_seconds()
        self._deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_head = False
        self._body_bytes = 0
        self._refused = False

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self._read_seconds, self._deadline_passed)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _refuse(self, status: int) -> None:
        """Answer `status` with the `Error` body where no other response can be under way, then close."""
        self._disarm()
        self._refused = True
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle.response_started or self._in_head:  # a response (or a pipelined one) is being written
                self.transport.close()
                return
            cycle.disconnected = True  # the application waiting for this body sees a disconnect
            cycle.message_event.set()
        elif cycle is not None and cycle.more_body and not self._in_head:  # answered before its body arrived
            self.transport.close()
            return
        if not self.transport.is_closing():
            self.transport.write(raw_error_response(status, SERVER))
            self.transport.close()

    def _deadline_passed(self) -> None:
        self._deadline = None
        if self.pipeline:
            self.transport.close()
        else:
            self._refuse(408)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._arm()
        if self._in_head or self.cycle is None or self.cycle.response_complete:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES + MAX_BODY_BYTES:
                self._refuse(431)
                return
        super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        self._refuse(400)

    def on_message_begin(self) -> None:
        self._arm()
        self._in_head = True
        self._body_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        if self._refused:
            return
        super().on_url(url)
        if len(self.url) > MAX_REQUEST_LINE_BYTES:
            self._refuse(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused:
            return
        super().on_header(name, value)
        if len(self.headers) > MAX_HEADER_FIELDS or len(name) + len(value) + 2 > MAX_HEADER_FIELD_BYTES:
            self._refuse(431)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._in_head = False
        self._head_bytes = 0
        for name, value in self.headers:
            if name == b"content-length" and value.strip().isdigit() and int(value) > MAX_BODY_BYTES:
                self._refuse(413)
                return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._refused:
            return
        self._body_bytes += len(body)
        if self._body_bytes > MAX_BODY_BYTES:
            if self.cycle.response_started:
                self.cycle.keep_alive = False
            else:
                self._refuse(413)
                return
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._disarm()
        super().on_message_complete()
