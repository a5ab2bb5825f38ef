"""Checks that this machine can run the observatory, each with what to install or change when it cannot.

Every check belongs to the set of tools that needs it: a local run (`make quickstart` installs it), the tests
(`make setup`), or the kind cluster (charts/README.md). Only the local run's set is required.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from observatory import tools
from observatory.run.ports import port_is_free

RUN, TESTS, CLUSTER = "local run", "tests", "cluster"
# What installs each set, as doctor's summary line says it.
SETS = {RUN: "make quickstart (make run-tools)", TESTS: "make setup", CLUSTER: "charts/README.md"}
# The tools of each set beyond the local run's (tests/*: which folder needs each).
TEST_TOOLS = {
    "promtool": "tests/run and tests/containers check rules and queries with it",
    "chromium": "tests/report renders the report in it",
    "podman": "make images builds with it where no docker engine answers",
    "runc": "the runtime of podman and of the kind cluster's dockerd",
    "debootstrap": "make images builds the stand-in base image with it",
    "helm": "tests/cluster and tests/controlplane render and install the charts",
    "tilt": "tests/cluster evaluates the Tiltfile with it",
    "actionlint": "tests/cluster checks the workflows with it",
    "dashboard-validate": "tests/dashboards validates the dashboards with it",
    "etcd": "tests/controlplane runs the charts on it",
    "kube-apiserver": "tests/controlplane runs the charts on it",
    "kubectl": "tests/controlplane drives the control plane with it",
    "kwok": "tests/controlplane's simulated nodes",
}
CLUSTER_TOOLS = {
    "kind": "the cluster's nodes",
    "docker": "kind's container engine",
    "kubectl": "talks to the cluster",
    "helm": "installs the charts",
    "tilt": "the development loop on the cluster",
}
POSTGRES = Path("/usr/lib/postgresql/15/bin/postgres")
POSTGRES_USE = "tests/hostile run every profile against PostgreSQL"
CHECKOV = tools.ROOT / ".tools" / "checkov" / "bin" / "checkov"


@dataclass(frozen=True)
class Check:
    """One thing the observatory needs, whether it is there, which set needs it, and how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    needed_by: str = RUN
    warning: bool = False  # a condition of the machine (cores, ports), reported but never fatal

    @property
    def required(self) -> bool:
        """Whether `observatory doctor` fails when this check does."""
        return self.needed_by == RUN and not self.warning


def _tool(name: str, needed_by: str = RUN, purpose: str = "") -> Check:
    path = tools.find(name)
    purpose = f"; {purpose}" if purpose else ""
    if path is None:
        return Check(name, False, f"not found on PATH or in .tools/bin{purpose}", tools.TOOLS[name].install, needed_by)
    return Check(name, True, f"{tools.version(name) or 'present'} ({path})", needed_by=needed_by)


def _file(name: str, path: Path, fix: str, needed_by: str, purpose: str) -> Check:
    if not path.is_file():
        return Check(name, False, f"{path} missing; {purpose}", fix, needed_by)
    return Check(name, True, str(path), needed_by=needed_by)


def _packages() -> Check:
    missing = [
        m
        for m in ("fastapi", "flask", "django", "uvicorn", "gunicorn", "prometheus_client")
        if importlib.util.find_spec(m) is None
    ]
    if missing:
        return Check("python packages", False, f"missing: {', '.join(missing)}", "make python-packages")
    return Check("python packages", True, "frameworks, servers and prometheus-client importable")


def _test_packages() -> Check:
    missing = [m for m in ("pytest", "schemathesis", "ruff", "mypy") if importlib.util.find_spec(m) is None]
    if missing:
        return Check("test packages", False, f"missing: {', '.join(missing)}", "make python-packages", TESTS)
    return Check("test packages", True, "pytest, schemathesis, ruff and mypy importable", needed_by=TESTS)


def _cores() -> Check:
    cores = len(os.sched_getaffinity(0))
    if cores < 2:
        return Check("cores", False, f"{cores} core available: service and k6 would share it, and results are marked so",
                     "run on a machine (or CPU set) with at least 2 cores", warning=True)  # fmt: skip
    return Check("cores", True, f"{cores} cores: service pinned to half, k6 and Prometheus to the rest")


def _ports(ports: tuple[int, ...]) -> Check:
    busy = [p for p in ports if not port_is_free(p)]
    if busy:
        return Check("ports", False, f"in use on 127.0.0.1: {', '.join(map(str, busy))}",
                     "stop what listens there (ss -ltnp) or pass other ports", warning=True)  # fmt: skip
    return Check("ports", True, f"loopback binding works; {', '.join(map(str, ports))} free")


def run_checks(ports: tuple[int, ...] = (9090, 8000)) -> list[Check]:
    """Every check, set by set (the local run's first), in the order a user would fix them."""
    return [
        _packages(),
        _tool("k6"),
        _tool("prometheus"),
        _tool("taskset"),
        _tool("nginx", purpose="the load generator's null target: a run calibrates k6 against it"),
        _cores(),
        _ports(ports),
        _test_packages(),
        *(_tool(name, TESTS, purpose) for name, purpose in TEST_TOOLS.items()),
        _file("postgresql", POSTGRES, "apt-get install postgresql (or make test-packages)", TESTS, POSTGRES_USE),
        _file("checkov", CHECKOV, "make checkov", TESTS, "tests/cluster checks the charts with it"),
        *(_tool(name, CLUSTER, purpose) for name, purpose in CLUSTER_TOOLS.items()),
    ]


def set_summary(checks: list[Check]) -> dict[str, list[str]]:
    """For each set, the names of its missing tools (empty: the set is present)."""
    return {name: [c.name for c in checks if c.needed_by == name and not c.ok and not c.warning] for name in SETS}
