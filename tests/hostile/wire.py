"""Raw HTTP/1.1 on a loopback socket: send exactly the bytes a hostile client would, read what comes back."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Reply:
    """One response parsed from the wire."""

    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> str | None:
        """The contract's `Error` message, or None when the body is not an `Error`."""
        if not self.headers.get("content-type", "").startswith("application/json"):
            return None
        try:
            document = json.loads(self.body)
        except ValueError:
            return None
        return document.get("error") if isinstance(document, dict) and set(document) <= {"error", "fields"} else None


@dataclass
class Exchange:
    """What happened on one connection: the responses, whether the server closed it, and when."""

    replies: list[Reply] = field(default_factory=list)
    closed: bool = False
    seconds: float = 0.0
    timed_out: bool = False


def parse_replies(data: bytes, head_only: bool = False) -> tuple[list[Reply], bytes]:
    """Every complete response in `data` (Content-Length or chunked framing), and what is left over."""
    replies: list[Reply] = []
    while b"\r\n\r\n" in data:
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status == 100:
            data = rest
            continue
        if head_only:
            body, data = b"", rest
        elif "content-length" in headers:
            length = int(headers["content-length"])
            if len(rest) < length:
                break
            body, data = rest[:length], rest[length:]
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            cursor = rest
            while True:
                size_line, sep, cursor = cursor.partition(b"\r\n")
                if not sep:
                    return replies, data
                size = int(size_line.split(b";")[0], 16)
                if len(cursor) < size + 2:
                    return replies, data
                body += cursor[:size]
                cursor = cursor[size + 2 :]
                if size == 0:
                    break
            data = cursor
        else:
            body, data = rest, b""
        replies.append(Reply(status, headers, body))
    return replies, data


def exchange(
    port: int,
    parts: Sequence[bytes | float],
    *,
    expect: int = 1,
    timeout: float = 10.0,
    head_only: bool = False,
    shut_write: bool = False,
) -> Exchange:
    """Send `parts` (bytes are written, floats are pauses), then read until `expect` replies, close, or timeout.

    Stops sending early when the server closes the connection (a refused request).
    """
    result = Exchange()
    start = time.monotonic()
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for part in parts:
                if isinstance(part, float):
                    time.sleep(part)
                else:
                    sock.sendall(part)
            if shut_write:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = start + timeout
        while True:
            replies, _ = parse_replies(data, head_only)
            if len(replies) >= expect:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                result.timed_out = True
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                result.timed_out = True
                break
            except ConnectionResetError:
                result.closed = True
                break
            if not chunk:
                result.closed = True
                break
            data += chunk
    result.replies, _ = parse_replies(data, head_only)
    result.seconds = time.monotonic() - start
    return result


def request(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    """A well-formed HTTP/1.1 request; Content-Length is added for a body unless a framing header is given."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    given = {name.lower() for name in headers or {}}
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body and "content-length" not in given and "transfer-encoding" not in given:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(*pieces: bytes) -> bytes:
    """`pieces` in chunked transfer coding, with the terminating chunk."""
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"
