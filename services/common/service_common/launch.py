"""Start a service under one of its server profiles: `python -m service_common.launch SERVICE_DIR PROFILE`.

It prepares what must happen once, before any worker exists (the database schema and seed,
a wiped folder for per-worker metric files), exports the labels every worker reports under,
then replaces itself with the server, so the server's main process keeps this pid.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
from pathlib import Path

from service_common.database_budget import (
    ConnectionBudgetError,
    check_connection_budget,
    connections_per_worker,
    pool_size,
)
from service_common.framing import FramingError, request_read_seconds
from service_common.launch_env import default_workers
from service_common.profiles import Profile, ProfileError, load_service
from service_common.settings import DEFAULT_INSTRUMENTATION, SettingsError, data_dir, get_settings


def server_argv(profile: Profile, host: str, port: int, workers: int) -> list[str]:
    """The server's command line for `profile`."""
    if profile.server == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", profile.app,
            "--host", host, "--port", str(port), "--workers", str(workers),
            "--no-access-log", "--timeout-keep-alive", os.environ.get("KEEPALIVE_SECONDS", "75"),
            *profile.options,
        ]  # fmt: skip
    if profile.server == "gunicorn":
        if profile.config is None:
            raise ProfileError(f"{profile.key}: a gunicorn profile needs a config file")
        config = profile.service_dir / profile.config
        return [sys.executable, "-m", "gunicorn", "--config", str(config), *profile.options, profile.app]
    raise ProfileError(f"{profile.key}: unknown server {profile.server!r}")


def metrics_mode(workers: int, instrumentation: str) -> str:
    """How prometheus-client counts, the same on every server: in-process at 1 worker, multiprocess above."""
    if instrumentation.lower() == "off":
        return "off"
    return "in-process" if workers == 1 else "multiprocess"


def prepare_metrics_dir(profile: Profile, workers: int) -> None:
    """Several processes share metrics through files in a folder wiped at every start; one process counts in memory."""
    mode = metrics_mode(workers, os.environ.get("OBSERVATORY_INSTRUMENTATION", DEFAULT_INSTRUMENTATION))
    if mode == "off":
        return
    if mode == "in-process":
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return
    directory = Path(
        os.environ.get("PROMETHEUS_MULTIPROC_DIR") or data_dir() / f"metrics-{profile.framework}-{profile.name}"
    )
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def initialise_database(profile: Profile) -> None:
    """Create the schema and seed the data once, before workers start."""
    if profile.init is None:
        return
    module_name, _, function_name = profile.init.partition(":")
    getattr(importlib.import_module(module_name), function_name)()


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, prepare, and exec the server."""
    parser = argparse.ArgumentParser(prog="python -m service_common.launch", description=__doc__)
    parser.add_argument("service_dir", type=Path, help="the service's folder (holds profiles.toml)")
    parser.add_argument("profile", help="a profile name from profiles.toml, e.g. uvicorn or gunicorn-sync")
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"), help="address to bind (env HOST)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")), help="port (env PORT)")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", default_workers())),
        help="worker processes (env WEB_CONCURRENCY; default: the cores this process may use)",
    )
    args = parser.parse_args(argv)
    try:
        profiles = {p.name: p for p in load_service(args.service_dir)}
        if args.profile not in profiles:
            raise ProfileError(f"unknown profile {args.profile!r}; known: {', '.join(profiles)}")
        profile = profiles[args.profile]
        if args.workers < 1:
            raise ProfileError(f"--workers must be at least 1, got {args.workers}")
        os.environ.update(
            OBSERVATORY_FRAMEWORK=profile.framework,
            OBSERVATORY_PROFILE=profile.name,
            OBSERVATORY_SERVICE_PID=str(os.getpid()),
            HOST=args.host,
            PORT=str(args.port),
            WEB_CONCURRENCY=str(args.workers),
        )
        os.environ.setdefault("DB_POOL_SIZE", str(connections_per_worker(profile)))
        request_read_seconds()
        settings = get_settings()
        if profile.needs_database:
            try:
                check_connection_budget(settings.database_url, args.workers, pool_size())
            except ConnectionBudgetError as error:
                raise ConnectionBudgetError(f"{profile.key}: {error}") from None
        data_dir().mkdir(parents=True, exist_ok=True)
        prepare_metrics_dir(profile, args.workers)
        initialise_database(profile)
        argv_server = server_argv(profile, args.host, args.port, args.workers)
    except (ProfileError, SettingsError, ConnectionBudgetError, FramingError) as error:
        print(f"launch: {error}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    os.execv(argv_server[0], argv_server)


if __name__ == "__main__":
    sys.exit(main())
