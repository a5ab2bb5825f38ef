"""A private PostgreSQL server on loopback for the hostile suite: its own data folder, port and limits."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from observatory.run.ports import free_port
from observatory.run.processes import OwnedProcess

BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))


class LocalPostgres:
    """initdb + postgres as the `postgres` user when run as root (the server refuses root), stopped on exit."""

    def __init__(self, max_connections: int = 100) -> None:
        self.max_connections = max_connections
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="observatory-pg-"))
        self.process: OwnedProcess | None = None

    def _as_server_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        return ["runuser", "-u", "postgres", "--", *argv]

    def url(self, database: str) -> str:
        """A connection URL for `database` (trust authentication on loopback only)."""
        return f"postgresql://observatory@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> LocalPostgres:
        if not (BIN / "postgres").exists():
            raise RuntimeError(f"PostgreSQL not found at {BIN}; run `make setup` (it installs Debian's postgresql)")
        data = self.root / "data"
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        initdb = [str(BIN / "initdb"), "-D", str(data), "-U", "observatory", "--auth=trust", "--no-sync", "-E", "UTF8"]
        subprocess.run(self._as_server_user(initdb), check=True, capture_output=True, timeout=120)
        server = [
            str(BIN / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.root),
            "-c", f"max_connections={self.max_connections}", "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off", "-c", "shared_buffers=32MB",
        ]  # fmt: skip
        self.process = OwnedProcess("postgres", self._as_server_user(server), log_path=self.root / "postgres.log")
        self.process.start()
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if not self.process.alive():
                raise RuntimeError(f"postgres exited: {self.process.log_tail()}")
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                time.sleep(0.2)
        raise RuntimeError(f"postgres not ready after {timeout:.0f}s")

    def create_database(self, name: str) -> str:
        """Create `name` and return its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.stop(grace=10.0)
        shutil.rmtree(self.root, ignore_errors=True)
