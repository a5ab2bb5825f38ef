"""The null target: nginx answering every workload's route at once with the service's bytes, never the bottleneck.

Used to calibrate the load generator (observatory/run/calibration.py): the same k6 script and executor, against a
server that costs next to nothing, shows what k6 alone adds. nginx comes from Debian's packages; it runs with
its own configuration in a folder of its own, on a free loopback port, as `nobody` when started by root.

Bodies: json, plaintext, io and cpu are the baseline services' exact bytes (the same code builds them); the
database routes answer rows of the contract's shape (the values differ per request in the services, not their
size). `io` answers at once: the null target never waits.
"""

from __future__ import annotations

import html
import json
import os
import pwd
import resource
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from observatory import tools
from observatory.errors import ObservatoryError
from observatory.run.ports import free_port
from observatory.run.processes import OwnedProcess

KEEP_ALIVE, CLOSE = "keep-alive", "close"
MODES = (KEEP_ALIVE, CLOSE)
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    """One route of the null target: nginx `location` match, status, content type and body."""

    location: str
    status: int
    content_type: str
    body: str


def _compact(payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _fortunes() -> str:
    """The fortunes page as the Flask template renders it: the seed's rows and the added one, sorted, escaped."""
    from service_common.seed import FORTUNES
    from service_common.workload_rules import ADDED_FORTUNE

    rows = sorted([*FORTUNES, (0, ADDED_FORTUNE)], key=lambda row: row[1])
    cells = "".join(f"<tr><td>{i}</td><td>{html.escape(text)}</td></tr>" for i, text in rows)
    return (
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
        f"<tr><th>id</th><th>message</th></tr>{cells}</table></body></html>"
    )


def answers() -> dict[str, Answer]:
    """Each workload's answer (loadtests/lib/workload_requests.js's checks pass on every one)."""
    from baseline_service.routes import answer

    def baseline(path: str, query: str = "") -> str:
        return answer("GET", path, query, lambda: (b"", TEXT)).body.decode()

    rows = _compact([{"id": 1 + i * 487 % 10000, "randomNumber": 1 + i * 7919 % 10000} for i in range(20)])
    user = '{"id":$1,"name":"Ada Lovelace","email":"ada@example.com","created_at":"2026-01-01T00:00:00Z"}'
    created = _compact({"id": 101, "name": "Load", "email": "load@example.com", "created_at": "2026-01-01T00:00:00Z"})
    return {
        "json": Answer("= /json", 200, JSON, baseline("/json")),
        "plaintext": Answer("= /plaintext", 200, TEXT, baseline("/plaintext")),
        "db": Answer("= /db", 200, JSON, _compact({"id": 4174, "randomNumber": 331})),
        "queries": Answer("= /queries", 200, JSON, rows),
        "updates": Answer("= /updates", 200, JSON, rows),
        "fortunes": Answer("= /fortunes", 200, HTML, _fortunes()),
        "users-get": Answer(r"~ ^/api/users/(\d+)$", 200, JSON, user),
        "users-post": Answer("= /api/users", 201, JSON, created),
        "io": Answer("= /io", 200, JSON, baseline("/io", "ms=10")),
        "cpu": Answer("= /cpu", 200, JSON, baseline("/cpu", "n=10000")),
    }


def _quoted(body: str) -> str:
    if "$" in body.replace("$1", ""):
        raise ValueError("nginx would read $ in a body as a variable")
    return "'" + body.replace("\\", "\\\\").replace("'", "\\'") + "'"


def nginx_conf(directory: Path, port: int, mode: str, workers: int) -> str:
    """The configuration: one location per workload, no access log, keep-alive or close after each response."""
    if mode not in MODES:
        raise ValueError(f"connection mode must be one of {', '.join(MODES)}, got {mode!r}")
    locations = "\n".join(
        f'    location {a.location} {{ default_type "{a.content_type}"; return {a.status} {_quoted(a.body)}; }}'
        for a in answers().values()
    )
    keepalive = "keepalive_timeout 0;" if mode == CLOSE else "keepalive_timeout 75s; keepalive_requests 10000000;"
    nofile = min(65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    return f"""daemon off;
worker_processes {workers};
worker_rlimit_nofile {nofile};
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 8192; multi_accept on; }}
http {{
  access_log off;
  server_tokens off;
  client_body_temp_path {directory}/tmp/body;
  proxy_temp_path {directory}/tmp/proxy;
  fastcgi_temp_path {directory}/tmp/fastcgi;
  uwsgi_temp_path {directory}/tmp/uwsgi;
  scgi_temp_path {directory}/tmp/scgi;
  {keepalive}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location = /health/ready {{ default_type "{JSON}"; return 200 '{{"status":"ok"}}'; }}
{locations}
  }}
}}
"""


def _unprivileged(argv: list[str], directory: Path) -> list[str]:
    """As root, run as `nobody` (owning its folder); otherwise as the current user."""
    if os.geteuid() != 0:
        return argv
    nobody = pwd.getpwnam("nobody")
    for path in [directory, *directory.rglob("*")]:
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", "--", *argv]


class NullTarget(OwnedProcess):
    """nginx on a free loopback port, pinned to `cores`, in keep-alive or close mode; ready when it answers.

    Its configuration, pid file and temporary files live in a folder of its own under the system's temporary
    folder (readable by `nobody`), removed when it stops; its output goes to `directory`/nginx.log.
    """

    def __init__(self, directory: Path, mode: str, *, cores: Sequence[int] | None = None) -> None:
        nginx = tools.find("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
        if nginx is None:
            raise ObservatoryError("nginx not found (the load generator's null target); install it: make run-packages")
        self.mode = mode
        self.port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        self.home = Path(tempfile.mkdtemp(prefix="observatory-nginx-"))
        self.home.chmod(0o755)
        (self.home / "tmp").mkdir()
        conf = self.home / "nginx.conf"
        conf.write_text(nginx_conf(self.home, self.port, mode, max(1, len(cores or [0]))), encoding="utf-8")
        (directory / f"nginx-{mode}.conf").write_text(conf.read_text(encoding="utf-8"), encoding="utf-8")
        argv = _unprivileged(
            [nginx, "-p", str(self.home), "-c", str(conf), "-e", str(self.home / "error.log")], self.home
        )
        super().__init__(f"nginx null target ({mode})", argv, log_path=directory / "nginx.log", cores=cores)

    def stop(self, grace: float = 10.0) -> None:
        """Stop nginx and remove its folder."""
        super().stop(grace)
        shutil.rmtree(self.home, ignore_errors=True)

    @property
    def url(self) -> str:
        """The target's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> NullTarget:
        """Start nginx and wait until it answers (10 s at most)."""
        super().start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not self.alive():
                raise ObservatoryError(f"nginx exited at start ({self.exit_code()}): {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise ObservatoryError(f"nginx did not answer on {self.url} within 10 s: {self.log_tail()}")

    def __enter__(self) -> NullTarget:
        return self.start() if self.process is None else self
