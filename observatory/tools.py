"""External tools the observatory runs (k6, Prometheus, helm...): where they are and which versions are pinned."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from observatory.errors import ObservatoryError

ROOT = Path(__file__).resolve().parents[1]
LOCAL_BIN = Path(os.environ.get("OBSERVATORY_TOOLS_BIN", ROOT / ".tools" / "bin"))
VERSIONS_FILE = ROOT / "tools" / "versions.mk"


@dataclass(frozen=True)
class Tool:
    """An external program: how to find it, how to ask its version, how to install it."""

    name: str
    version_args: tuple[str, ...]
    install: str


TOOLS = {
    "k6": Tool("k6", ("version",), "make k6 (go install go.k6.io/k6@$K6_VERSION into .tools/bin)"),
    "prometheus": Tool("prometheus", ("--version",), "apt-get install prometheus (or make run-packages)"),
    "promtool": Tool("promtool", ("--version",), "apt-get install prometheus (or make run-packages)"),
    "helm": Tool("helm", ("version", "--short"), "make helm (go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION)"),
    "taskset": Tool("taskset", ("--version",), "apt-get install util-linux"),
    "nginx": Tool("nginx", ("-v",), "apt-get install nginx (or make run-packages)"),
    "tilt": Tool("tilt", ("version",), "make tilt (built from its Go module source into .tools/bin)"),
    "actionlint": Tool("actionlint", ("-version",), "make actionlint (go install into .tools/bin)"),
    "kube-apiserver": Tool(
        "kube-apiserver", ("--version",), "make controlplane (built from the Go module source into .tools/bin)"
    ),
    "kwok": Tool("kwok", ("--version",), "make controlplane (go install into .tools/bin)"),
    "podman": Tool("podman", ("--version",), "apt-get install podman runc (or make test-packages)"),
    "runc": Tool("runc", ("--version",), "apt-get install runc (or make test-packages)"),
    "debootstrap": Tool("debootstrap", ("--version",), "apt-get install debootstrap (or make test-packages)"),
    "chromium": Tool("chromium", ("--version",), "apt-get install chromium (or make test-packages)"),
    "etcd": Tool("etcd", ("--version",), "make controlplane (built from the Go module source into .tools/bin)"),
    "kubectl": Tool(
        "kubectl", ("version", "--client"), "make controlplane (built from the Go module source into .tools/bin)"
    ),
    "dashboard-validate": Tool("dashboard-validate", ("-h",), "make dashboard-validate (go build into .tools/bin)"),
    "kind": Tool("kind", ("version",), "the cluster set-up (charts/README.md)"),
    "docker": Tool("docker", ("--version",), "the cluster set-up (charts/README.md)"),
}


def pinned_versions() -> dict[str, str]:
    """`{"K6_VERSION": "v1.8.1", ...}` from tools/versions.mk."""
    pairs = re.findall(r"^([A-Z0-9_]+)\s*:=\s*(\S+)", VERSIONS_FILE.read_text(), flags=re.M)
    return dict(pairs)


def find(name: str) -> str | None:
    """The tool's path: on PATH first, then in the repository's .tools/bin."""
    found = shutil.which(name)
    if found:
        return found
    local = LOCAL_BIN / name
    return str(local) if local.is_file() else None


def require(name: str) -> str:
    """The tool's path, or an error that says how to install it."""
    path = find(name)
    if path is None:
        raise ObservatoryError(f"{name} not found on PATH or in .tools/bin; install it: {TOOLS[name].install}")
    return path


def version(name: str) -> str | None:
    """The tool's version line, or None when it is missing or does not answer."""
    path = find(name)
    if path is None:
        return None
    try:
        done = subprocess.run([path, *TOOLS[name].version_args], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0].strip() if text else None
