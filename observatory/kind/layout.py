"""Where the kind cluster's parts live: one place for every path `make cluster` and the tests use."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# .tools may be a symlink shared by several worktrees: resolved, every worktree names the same dockerd and state.
TOOLS = (ROOT / ".tools").resolve()
# OBSERVATORY_KIND_CONFIG names another config (a probe cluster beside the real one, in tests).
KIND_CONFIG = Path(os.environ.get("OBSERVATORY_KIND_CONFIG", ROOT / "kind-config.yaml"))
KIND = TOOLS / "bin" / "kind"
KUBECTL = TOOLS / "bin" / "kubectl"
KIND_DIR = TOOLS / "kind"
# The real cluster's kubeconfig; a probe cluster (OBSERVATORY_KIND_CONFIG) gets its own beside it.
KUBECONFIG = KIND_DIR / (
    "kubeconfig"
    if "OBSERVATORY_KIND_CONFIG" not in os.environ
    else f"kubeconfig-{Path(os.environ['OBSERVATORY_KIND_CONFIG']).stem}"
)
SYSCTL_RECORD = KIND_DIR / "host-sysctls.json"
# A folder holding only `docker` → the Debian docker.io client, put first on kind's PATH: a newer client elsewhere on
# PATH may refuse dockerd 20.10's API.
DOCKER_CLI_DIR = KIND_DIR / "docker-cli"
DEBIAN_DOCKER = Path("/usr/bin/docker")
DEBIAN_DOCKERD = Path("/usr/sbin/dockerd")
DOCKERD_DIR = TOOLS / "docker"
BUILD_COMPONENTS = ROOT / "tools" / "kind" / "build-components.sh"
BUILD_NODE_IMAGE = ROOT / "tools" / "kind" / "build-node-image.sh"
RUNTIME_WRAPPER = Path(__file__).with_name("runtime_wrapper.py")


def cluster_name() -> str:
    """The cluster's name, as kind-config.yaml gives it."""
    found = re.search(r"^name:\s*(\S+)", KIND_CONFIG.read_text(), flags=re.M)
    return found.group(1) if found else "kind"


def node_count() -> int:
    """How many nodes kind-config.yaml declares."""
    return len(re.findall(r"^\s*-\s*role:", KIND_CONFIG.read_text(), flags=re.M))
