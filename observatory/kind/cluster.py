"""A running kind cluster, as tests and tools use it: its kubeconfig, kubectl, docker and `kind load`."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from observatory.kind import layout
from observatory.kind.dockerd import Engine


@dataclass(frozen=True)
class Cluster:
    """The cluster `make cluster` brought up: every command runs against it and returns its CompletedProcess."""

    name: str
    kubeconfig: Path
    engine: Engine
    node_image: str | None = None

    def environ(self) -> dict[str, str]:
        """An environment for tools that reach the cluster themselves (helm, tilt, kind): KUBECONFIG, DOCKER_HOST and
        the docker client that engine needs first on PATH, then .tools/bin."""
        env = self.engine.environ()  # our docker client first on PATH when the engine is ours
        env["KUBECONFIG"] = str(self.kubeconfig)
        first, _, rest = env["PATH"].partition(os.pathsep) if self.engine.ours else ("", "", env["PATH"])
        env["PATH"] = os.pathsep.join(p for p in (first, str(layout.TOOLS / "bin"), rest) if p)
        return env

    def kubectl(
        self, *args: str, check: bool = True, timeout: float = 300, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`kubectl --kubeconfig KUBECONFIG ARGS...`, output captured as text."""
        kubectl = str(layout.KUBECTL) if layout.KUBECTL.is_file() else "kubectl"
        return _run([kubectl, f"--kubeconfig={self.kubeconfig}", *args], self, check, timeout, input)

    def docker(
        self, *args: str, check: bool = True, timeout: float = 300, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The docker CLI against the engine the nodes run on."""
        return _run([self.engine.cli, *args], self, check, timeout, input)

    def kind(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """kind with this engine's docker client first on PATH."""
        return _run([str(layout.KIND), *args], self, check, timeout, None)

    def load_image(self, image: str) -> None:
        """Copy a local image into every node (`kind load docker-image`)."""
        self.kind("load", "docker-image", image, "--name", self.name)

    def nodes(self) -> list[str]:
        """The node containers' names."""
        done = self.kind("get", "nodes", "--name", self.name)
        return done.stdout.split()


class CommandFailed(subprocess.CalledProcessError):
    """A command against the cluster failed; its message carries the command's stderr."""

    def __str__(self) -> str:
        return f"{' '.join(map(str, self.cmd))} exited {self.returncode}: {(self.stderr or '').strip()[-2000:]}"


def _run(
    args: list[str], cluster: Cluster, check: bool, timeout: float, input: str | None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, env=cluster.environ(), timeout=timeout, input=input)
    if check and done.returncode != 0:
        raise CommandFailed(done.returncode, args, done.stdout, done.stderr)
    return done
