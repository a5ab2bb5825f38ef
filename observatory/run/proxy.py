"""The "behind nginx" variant of a profile: Debian's nginx in front of the service, on the service's cores.

nginx buffers each request in full before it reaches the service (`proxy_request_buffering on`), bounds how long
a client may take to send its head (`client_header_timeout`) and between two reads of its body
(`client_body_timeout`), both `REQUEST_READ_TIMEOUT`, refuses bodies over the contract's 16 KiB
(`client_max_body_size`), and keeps its connections to the service alive (`keepalive` in the upstream). The
answers nginx gives itself carry the contract's `Error` body (`error_page`); nginx's 494, 501 and 505 (head too
large, unknown transfer coding, unknown HTTP version) are given as 431, 400 and 400, as the contract asks. The
service's own answers pass through untouched (no `proxy_intercept_errors`).

nginx runs with one worker per service core, pinned to the same cores, so its CPU is the service's to pay; a run
adds its pid to the service's when it meters CPU (`ProxiedService.pids`).
"""

from __future__ import annotations

import json
import resource
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from observatory import tools
from observatory.errors import ObservatoryError
from observatory.run.null_target import _unprivileged
from observatory.run.ports import free_port
from observatory.run.processes import OwnedProcess
from observatory.run.service import ServiceProcess
from service_common import errors
from service_common.framing import request_read_seconds
from service_common.limits import MAX_BODY_BYTES, MAX_HEADER_FIELD_BYTES

PROXY = "nginx"
# status nginx decides -> the status the contract gives it
OWN_ANSWERS = {400: 400, 408: 408, 413: 413, 414: 414, 494: 431, 501: 400, 505: 400}
UPSTREAM_KEEPALIVE = 32  # idle connections nginx keeps to the service, per nginx worker


def _error_location(status: int) -> str:
    body = json.dumps(errors.error_body(errors.SERVER_LAYER_MESSAGES[status]), separators=(",", ":"))
    return (
        f"    location = /.observatory-error/{status} {{ internal; default_type application/json; "
        f"return {status} '{body}'; }}"
    )


def nginx_conf(home: Path, port: int, upstream_port: int, workers: int, read_seconds: float) -> str:
    """The proxy's whole configuration (one server, one upstream)."""
    timeout = f"{max(1, round(read_seconds * 1000))}ms"
    pages = "\n".join(
        f"    error_page {decided} ={status} /.observatory-error/{status};" for decided, status in OWN_ANSWERS.items()
    )
    locations = "\n".join(_error_location(status) for status in sorted(set(OWN_ANSWERS.values())))
    nofile = min(65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    return f"""daemon off;
worker_processes {workers};
worker_rlimit_nofile {nofile};
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  server_tokens off;
  client_body_temp_path {home}/tmp/body;
  proxy_temp_path {home}/tmp/proxy;
  fastcgi_temp_path {home}/tmp/fastcgi;
  uwsgi_temp_path {home}/tmp/uwsgi;
  scgi_temp_path {home}/tmp/scgi;
  client_header_timeout {timeout};
  client_body_timeout {timeout};
  client_max_body_size {MAX_BODY_BYTES};
  client_body_buffer_size {MAX_BODY_BYTES};
  large_client_header_buffers 4 {MAX_HEADER_FIELD_BYTES + 2};
  keepalive_timeout 75s;
  upstream service {{
    server 127.0.0.1:{upstream_port};
    keepalive {UPSTREAM_KEEPALIVE};
  }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
{pages}
{locations}
    location / {{
      proxy_pass http://service;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_request_buffering on;
      proxy_buffering on;
      proxy_read_timeout 120s;
    }}
  }}
}}
"""


def nginx_binary() -> str:
    """Debian's nginx, or a one-line error."""
    found = tools.find("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").is_file() else None)
    if found is None:
        raise ObservatoryError("nginx not found (the behind-nginx profiles need it); install it: make setup")
    return found


class NginxProxy(OwnedProcess):
    """nginx on a free loopback port in front of `upstream_port`; its folder is removed when it stops."""

    def __init__(
        self,
        upstream_port: int,
        directory: Path,
        *,
        cores: Sequence[int] | None = None,
        workers: int = 1,
        read_seconds: float | None = None,
    ) -> None:
        self.port = free_port()
        self.home = Path(tempfile.mkdtemp(prefix="observatory-proxy-"))
        self.home.chmod(0o755)
        (self.home / "tmp").mkdir()
        conf = self.home / "nginx.conf"
        conf.write_text(
            nginx_conf(self.home, self.port, upstream_port, max(1, workers), read_seconds or request_read_seconds()),
            encoding="utf-8",
        )
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(conf, directory / "nginx-proxy.conf")
        argv = _unprivileged([nginx_binary(), "-p", str(self.home), "-c", str(conf)], self.home)
        super().__init__("nginx proxy", argv, log_path=directory / "nginx-proxy.log", cores=cores)

    def stop(self, grace: float = 10.0) -> None:
        """Stop nginx and remove its folder."""
        super().stop(grace)
        shutil.rmtree(self.home, ignore_errors=True)


class ProxiedService:
    """A service under its profile with nginx in front: `port` and `url` are nginx's; `service` is the one behind.

    The same interface as ServiceProcess where the harness and the tests use it (`profile`, `port`, `url`,
    `env`, `start`, `wait_ready`, `stop`, a context manager), plus `pids` for the CPU both spend.
    """

    def __init__(
        self,
        service: ServiceProcess,
        directory: Path,
        *,
        cores: Sequence[int] | None = None,
        read_seconds: float | None = None,
    ) -> None:
        self.service = service
        self.profile = service.profile
        self.workers = service.workers
        self.env = service.env
        self.proxy = NginxProxy(
            service.port, directory, cores=cores, workers=len(cores) if cores else 1, read_seconds=read_seconds
        )
        self.name = f"{service.name} behind nginx"
        self.behind_nginx = True

    @property
    def port(self) -> int:
        return self.proxy.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy.port}"

    def pids(self) -> list[int]:
        """The service's main process and nginx's master (each with its children)."""
        return [p.process.pid for p in (self.service, self.proxy) if p.process is not None]

    def start(self) -> ProxiedService:
        self.service.start()
        self.proxy.start()
        return self

    def wait_ready(self, timeout: float = 60.0) -> ProxiedService:
        """The service ready, then nginx answering its readiness through to it."""
        self.service.wait_ready(timeout)
        deadline = time.monotonic() + 10
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not self.proxy.alive():
                    raise ObservatoryError(f"nginx exited at start ({self.proxy.exit_code()}): {self.proxy.log_tail()}")
                try:
                    if client.get(f"{self.url}/health/ready").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        raise ObservatoryError(f"nginx did not pass /health/ready through within 10 s: {self.proxy.log_tail()}")

    def stop(self, grace: float = 10.0) -> None:
        try:
            self.proxy.stop(grace)
        finally:
            self.service.stop(grace)

    def __enter__(self) -> ProxiedService:
        self.start()
        try:
            return self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
