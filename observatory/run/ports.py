"""Loopback ports: find a free one, or say clearly that a chosen one is taken."""

from __future__ import annotations

import socket

from observatory.errors import ObservatoryError


def free_port(host: str = "127.0.0.1") -> int:
    """A port the kernel says is free on `host` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether `port` can be bound on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def require_free(port: int, what: str, host: str = "127.0.0.1") -> int:
    """`port`, or an error naming what needed it."""
    if not port_is_free(port, host):
        raise ObservatoryError(f"port {port} on {host} is in use (needed for {what}); free it or choose another")
    return port
