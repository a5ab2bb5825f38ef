"""Which way `make cluster` goes: a registry that answers at all (even 401, as Docker Hub's /v2/ does) means kind
pulls its node image; one that does not answer means the node image is built here. Probed on loopback only."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from observatory.kind.lifecycle import registry_answers


class Unauthorized(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("Www-Authenticate", 'Bearer realm="test"')
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def registry() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v2/"
    server.shutdown()
    server.server_close()


def test_a_registry_that_asks_for_credentials_answers(registry: str) -> None:
    assert registry_answers(registry)


def test_nothing_listening_means_no_registry() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert not registry_answers(f"http://127.0.0.1:{port}/v2/", timeout=2)
