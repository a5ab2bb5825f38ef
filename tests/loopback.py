"""Small HTTP servers on loopback for tests: serve one in a thread for the length of a `with`, and answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


@contextmanager
def serving(server: HTTPServer) -> Iterator[str]:
    """Run `server` in a thread; yield its base URL (`http://127.0.0.1:PORT`); shut it down and close it after."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def answer(handler: BaseHTTPRequestHandler, body: bytes, content_type: str, *, close: bool = False) -> None:
    """A 200 with `body`, its length, and `Connection: close` when asked."""
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    if close:
        handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(body)
