"""The docker engine kind runs on: the one already there, or a dockerd of our own with the runtime wrapper.

Our own dockerd is Debian's docker.io, started by hand (no systemd on the host) with its data root, exec root and
socket under .tools/docker, so the node image it holds survives `make cluster-down` and nothing of the host's is used.
It leaves iptables and ip_forward alone (published ports go through docker-proxy); stopping it removes what it leaves
behind: the docker0 bridge and the netns mount of its default sandbox.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from observatory.errors import ObservatoryError
from observatory.kind import layout


@dataclass(frozen=True)
class Engine:
    """How the docker CLI reaches an engine: the client to run and the environment it needs."""

    cli: str
    env: dict[str, str] = field(default_factory=dict)
    ours: bool = False

    def environ(self) -> dict[str, str]:
        """The process environment for docker and kind: our client first on PATH, DOCKER_HOST when it is ours."""
        env = {**os.environ, **self.env}
        if self.ours:
            env["PATH"] = f"{layout.DOCKER_CLI_DIR}{os.pathsep}{env.get('PATH', '')}"
        return env


def system_engine() -> Engine | None:
    """The engine the user's docker CLI reaches (DOCKER_HOST or the default socket), if one answers."""
    if os.environ.get("DOCKER_HOST") == own.host():
        return None
    cli = shutil.which("docker")
    if not cli:
        return None
    try:
        done = subprocess.run([cli, "version", "--format", "{{.Server.Version}}"], capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None
    return Engine(cli) if done.returncode == 0 else None


@dataclass(frozen=True)
class OwnDockerd:
    """dockerd from Debian's docker.io with everything of its own under one folder."""

    home: Path

    def socket_path(self) -> Path:
        return self.home / "docker.sock"

    def host(self) -> str:
        return f"unix://{self.socket_path()}"

    def engine(self) -> Engine:
        return Engine(str(layout.DEBIAN_DOCKER), {"DOCKER_HOST": self.host()}, ours=True)

    def pid(self) -> int | None:
        """The pid of our dockerd if it is running."""
        try:
            pid = int((self.home / "dockerd.pid").read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        return (
            pid
            if cmdline and cmdline[0].endswith(b"dockerd") and str(self.home).encode() in b" ".join(cmdline)
            else None
        )

    def answers(self) -> bool:
        """Whether the engine answers its _ping on our socket."""
        try:
            with socket.socket(socket.AF_UNIX) as conn:
                conn.settimeout(5)
                conn.connect(str(self.socket_path()))
                conn.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                return conn.recv(4096).split(b"\r\n\r\n", 1)[-1] == b"OK"
        except OSError:
            return False

    def start(self) -> bool:
        """Start our dockerd unless it runs; True when this call started it."""
        if self.pid() and self.answers():
            return False
        for tool in (layout.DEBIAN_DOCKERD, layout.DEBIAN_DOCKER, Path("/usr/sbin/runc")):
            if not tool.exists():
                raise ObservatoryError(
                    f"cluster: {tool} is missing: apt-get install docker.io runc (Debian's packages)"
                )
        self.home.mkdir(parents=True, exist_ok=True)
        layout.DOCKER_CLI_DIR.mkdir(parents=True, exist_ok=True)
        client = layout.DOCKER_CLI_DIR / "docker"
        if not client.is_symlink():
            client.symlink_to(layout.DEBIAN_DOCKER)
        # A copy, so the runtime dockerd calls outlives the worktree that started it.
        wrapper = self.home / "runtime-wrapper"
        shutil.copyfile(layout.RUNTIME_WRAPPER, wrapper)
        wrapper.chmod(0o755)
        args = [
            str(layout.DEBIAN_DOCKERD),
            f"--host={self.host()}",
            f"--data-root={self.home / 'data'}",
            f"--exec-root={self.home / 'exec'}",
            f"--pidfile={self.home / 'dockerd.pid'}",
            "--iptables=false",
            "--ip6tables=false",
            "--ip-forward=false",
            "--ip-masq=false",
            "--exec-opt=native.cgroupdriver=cgroupfs",
            f"--add-runtime=wrap={wrapper}",
            "--default-runtime=wrap",
        ]
        env = {**os.environ, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}  # Debian's containerd, runc and docker-proxy
        with (self.home / "dockerd.log").open("ab") as log:
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + 120
        while not self.answers():
            if process.poll() is not None:
                raise ObservatoryError(f"cluster: dockerd exited ({process.returncode}): {self.last_log_line()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ObservatoryError(f"cluster: dockerd did not answer within 120 s: {self.last_log_line()}")
            time.sleep(0.2)
        return True

    def last_log_line(self) -> str:
        lines = (self.home / "dockerd.log").read_text(errors="replace").strip().splitlines()
        return lines[-1][:300] if lines else "(empty log)"

    def stop(self) -> bool:
        """Stop our dockerd and remove what it leaves on the host; True when it was running.

        Without a dockerd of ours running, the leftovers of one that died are removed only when no other dockerd
        runs: docker0 is then nobody else's."""
        pid = self.pid()
        if pid is None:
            others = subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True, check=False).stdout.strip()
            if (self.home / "dockerd.pid").exists() and not others:
                self.remove_leftovers()
                (self.home / "dockerd.pid").unlink(missing_ok=True)
            return False
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 60
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGKILL)
        self.remove_leftovers()
        return True

    def remove_leftovers(self) -> None:
        """The docker0 bridge, the default sandbox's netns mount, a stale socket, the empty /run/docker it makes."""
        if Path("/sys/class/net/docker0").exists():
            subprocess.run(["ip", "link", "delete", "docker0"], capture_output=True, check=False)
        for netns in (Path("/run/docker/netns/default"), self.home / "exec" / "netns" / "default"):
            if netns.exists():
                subprocess.run(["umount", "--lazy", str(netns)], capture_output=True, check=False)
                netns.unlink(missing_ok=True)
        self.socket_path().unlink(missing_ok=True)
        for empty in (Path("/run/docker/netns"), Path("/run/docker/plugins"), Path("/run/docker")):
            with contextlib.suppress(OSError):
                empty.rmdir()  # only when empty: a dockerd of the host's own would keep its files there


own = OwnDockerd(layout.DOCKERD_DIR)
