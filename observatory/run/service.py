"""One observed service under one server profile, as an owned process on loopback."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from observatory.errors import ObservatoryError
from observatory.run.ports import free_port
from observatory.run.processes import OwnedProcess
from service_common.profiles import Profile
from service_common.settings import DEFAULT_INSTRUMENTATION


class ServiceProcess(OwnedProcess):
    """A service started through `service_common.launch`, ready when `/health/ready` answers 200."""

    def __init__(
        self,
        profile: Profile,
        data_dir: Path,
        *,
        port: int | None = None,
        workers: int = 1,
        cores: Sequence[int] | None = None,
        instrumentation: str = DEFAULT_INSTRUMENTATION,
        env: dict[str, str] | None = None,
    ) -> None:
        self.profile = profile
        self.port = port or free_port()
        self.workers = workers
        data_dir.mkdir(parents=True, exist_ok=True)
        environment = {
            **os.environ,
            "OBSERVATORY_DATA_DIR": str(data_dir),
            "OBSERVATORY_INSTRUMENTATION": instrumentation,
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "warning",
            **(env or {}),
        }
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
        argv = [
            sys.executable, "-m", "service_common.launch", str(profile.service_dir), profile.name,
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
        ]  # fmt: skip
        super().__init__(
            f"{profile.key}",
            argv,
            env=environment,
            cwd=profile.service_dir,
            log_path=data_dir / f"{profile.framework}-{profile.name}.log",
            cores=cores,
        )

    @property
    def url(self) -> str:
        """The service's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> ServiceProcess:
        """Block until `/health/ready` is 200; raise with the log's tail if it dies or never gets there."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise ObservatoryError(
                        f"{self.name} exited with code {self.exit_code()} while starting: {self.log_tail()}"
                    )
                try:
                    if client.get(f"{self.url}/health/ready").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        raise ObservatoryError(f"{self.name} was not ready after {timeout:.0f}s: {self.log_tail()}")

    def __enter__(self) -> ServiceProcess:
        self.start()
        try:
            return self.wait_ready()
        except BaseException:
            self.stop()
            raise
