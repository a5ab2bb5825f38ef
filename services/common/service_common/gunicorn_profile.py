"""Settings and hooks shared by every gunicorn profile; each profile's conf file imports them and sets its worker class.

Only settings gunicorn documents, on gunicorn's own worker classes (sync, gthread) and uvicorn's (uvicorn-worker):
nothing here reaches into a worker. Workers come from `WEB_CONCURRENCY` (default: the cores this process may run
on); gthread profiles take their threads from `gthread_threads()` (`THREADS`, default 4). No access log;
keep-alive on where the worker supports it. What a slow or malformed request gets is then gunicorn's own answer,
bounded by these settings (docs/servers.md measures each class); behind nginx, nginx answers it.
GUNICORN_CMD_ARGS (gunicorn's documented environment variable) overrides any of them, e.g. `--timeout 3`.
"""

from __future__ import annotations

import os
from typing import Any

from service_common.launch_env import default_workers
from service_common.limits import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_REQUEST_LINE_BYTES

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", default_workers()))
threads = 1  # gunicorn silently turns sync workers into gthread when threads > 1
keepalive = int(os.environ.get("KEEPALIVE_SECONDS", "75"))
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "warning")
timeout = 30  # gunicorn's default: a worker silent this long is killed (what bounds a slow client on sync)
graceful_timeout = 10
preload_app = False  # tracing and database connections are set up in each worker, after fork
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else None)
limit_request_line = MAX_REQUEST_LINE_BYTES  # gunicorn's default (4094) raised to the contract's x-limits
limit_request_fields = MAX_HEADER_FIELDS  # gunicorn's default
limit_request_field_size = MAX_HEADER_FIELD_BYTES  # gunicorn's default
# gunicorn >= 25.1 opens a gunicornc control socket in $XDG_RUNTIME_DIR or $HOME/.gunicorn: unused here, shared by every
# gunicorn of a local run, and in the image (read-only root, no home) it logged "ERROR Control server error" at start.
control_socket_disable = True


def gthread_threads() -> int:
    """Threads per gthread worker: `THREADS`, default 4."""
    return int(os.environ.get("THREADS", "4"))


def child_exit(server: Any, worker: Any) -> None:
    """Mark a dead worker's live gauges as gone so in-flight stays exact; its counters are kept."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, directory)
