"""gunicorn's sync and gthread workers with the contract's framing rules (service_common.framing).

Each connection's socket carries a deadline: every read of the request head and body gets only the time left,
so a client that announces more than it sends, or trickles bytes, holds a worker (sync) or a thread (gthread)
for at most `request_read_seconds()`. The body is read in full before the application runs, so the
application never blocks on a client and never sees a half-sent or chunked body. Errors gunicorn raises
itself (bad request line, too many fields, bad chunk) are answered with the contract's `Error` body.
"""

from __future__ import annotations

import errno
import io
import socket
import time
from typing import Any

from gunicorn import util
from gunicorn.http.body import Body
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine, NoMoreData
from gunicorn.workers.base import Worker
from gunicorn.workers.gthread import TConn, ThreadWorker
from gunicorn.workers.sync import SyncWorker

from service_common.errors import raw_error_response
from service_common.framing import RequestTimeout, request_read_seconds
from service_common.limits import MAX_BODY_BYTES

SERVER = "gunicorn"
_CLIENT_ERRORS = (
    "InvalidRequestLine", "InvalidRequestMethod", "InvalidHTTPVersion", "InvalidHeader", "InvalidHeaderName",
    "InvalidProxyLine", "ForbiddenProxyRequest", "InvalidSchemeHeaders", "UnsupportedTransferCoding",
    "ObsoleteFolding", "ExpectationFailed", "InvalidChunkSize", "ChunkMissingTerminator",
    "InvalidChunkExtension", "NoMoreData", "ParseException", "InvalidH2CPreface",
)  # fmt: skip


class DeadlineSocket(socket.socket):
    """A socket whose blocking reads end at `deadline` (a time.monotonic() value) with RequestTimeout."""

    deadline: float | None = None

    def arm(self) -> None:
        """Start the clock for one request."""
        self.deadline = time.monotonic() + request_read_seconds()

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        return self._bounded(super().recv, bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        return self._bounded(super().recv_into, buffer, nbytes, flags)

    def _bounded(self, read: Any, *args: Any) -> Any:
        saved = self.gettimeout()
        if self.deadline is None or saved == 0.0:  # no request in progress, or a poller drives the socket
            return read(*args)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise RequestTimeout
        self.settimeout(remaining if saved is None else min(saved, remaining))
        try:
            return read(*args)
        except TimeoutError:
            raise RequestTimeout from None
        finally:
            self.settimeout(saved)


def guarded(client: socket.socket) -> DeadlineSocket:
    """The accepted connection as a DeadlineSocket, blocking, its first request's clock started."""
    wrapped = DeadlineSocket(fileno=client.detach())
    wrapped.setblocking(True)
    wrapped.arm()
    return wrapped


def status_for(exc: BaseException) -> int | None:
    """The status a framing error gets (never a 5xx), or None when it is not the client's doing."""
    if isinstance(exc, RequestTimeout):
        return 408
    if isinstance(exc, LimitRequestLine):
        return 414
    if isinstance(exc, LimitRequestHeaders):
        return 431
    if type(exc).__name__ in _CLIENT_ERRORS or isinstance(exc, NoMoreData):
        return 400
    return None


def answer(client: socket.socket, status: int) -> None:
    """Write the contract's error response and give up on the connection."""
    try:
        client.settimeout(2.0)
        client.sendall(raw_error_response(status, SERVER))
    except OSError:
        pass


def prefetch_body(req: Any, client: socket.socket) -> bool:
    """Read the whole body (at most MAX_BODY_BYTES) before the application runs; False if answered 413.

    A chunked body is de-chunked: the application sees Content-Length and the plain bytes.
    """
    announced = next((value for name, value in req.headers if name == "CONTENT-LENGTH"), "0")
    if announced.isdigit() and int(announced) > MAX_BODY_BYTES:
        answer(client, 413)
        return False
    if getattr(req, "_expected_100_continue", False):
        client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        req._expected_100_continue = False
    data = req.body.read(MAX_BODY_BYTES + 1)
    if isinstance(client, DeadlineSocket):
        client.deadline = None
    if len(data) > MAX_BODY_BYTES:
        answer(client, 413)
        return False
    req.body = Body(io.BytesIO(data))
    req.headers = [(name, value) for name, value in req.headers if name not in ("CONTENT-LENGTH", "TRANSFER-ENCODING")]
    if data or req.method in ("POST", "PUT", "PATCH"):
        req.headers.append(("CONTENT-LENGTH", str(len(data))))
    req.chunked = False
    return True


def handle_framing_error(worker: Any, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
    """A framing error as the contract's `Error` body; anything else as gunicorn answers it."""
    status = status_for(exc)
    if status is None:
        Worker.handle_error(worker, req, client, addr, exc)
        return
    worker.log.warning("Refused request from %s: %s %s", (addr or ("",))[0], status, type(exc).__name__)
    answer(client, status)


class GuardedSyncWorker(SyncWorker):
    """gunicorn's sync worker with bounded request reads and contract errors."""

    def accept(self, listener: socket.socket) -> None:
        client, addr = listener.accept()
        client = guarded(client)
        util.close_on_exec(client)
        self.handle(listener, client, addr)

    def handle_request(self, listener: Any, req: Any, client: Any, addr: Any) -> None:
        if prefetch_body(req, client):
            super().handle_request(listener, req, client, addr)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        handle_framing_error(self, req, client, addr, exc)


class GuardedThreadWorker(ThreadWorker):
    """gunicorn's gthread worker with bounded request reads and contract errors."""

    def accept(self, listener: socket.socket) -> None:
        try:
            client, addr = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self.enqueue_req(TConn(self.cfg, guarded(client), addr, listener.getsockname()))

    def handle(self, conn: Any) -> Any:
        if isinstance(conn.sock, DeadlineSocket):
            conn.sock.arm()
        return super().handle(conn)

    def handle_request(self, req: Any, conn: Any) -> bool:
        if not prefetch_body(req, conn.sock):
            return False
        return super().handle_request(req, conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        handle_framing_error(self, req, client, addr, exc)
