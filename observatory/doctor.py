"""Checks that this machine can run the observatory, each with what to install or change when it cannot."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass

from observatory import tools
from observatory.run.ports import port_is_free


@dataclass(frozen=True)
class Check:
    """One thing the observatory needs, whether it is there, and how to fix it."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _tool(name: str, required: bool = True, purpose: str = "") -> Check:
    version = tools.version(name)
    if version is None:
        return Check(name, False, f"not found on PATH or in .tools/bin{purpose}", tools.TOOLS[name].install, required)
    return Check(name, True, f"{version} ({tools.find(name)})", required=required)


def _packages() -> Check:
    missing = [
        m
        for m in ("fastapi", "flask", "django", "uvicorn", "gunicorn", "prometheus_client")
        if importlib.util.find_spec(m) is None
    ]
    if missing:
        return Check(
            "python packages",
            False,
            f"missing: {', '.join(missing)}",
            "make setup (pip install -e '.[fastapi,flask,django,baseline]')",
        )
    return Check("python packages", True, "frameworks, servers and prometheus-client importable")


def _cores() -> Check:
    cores = len(os.sched_getaffinity(0))
    if cores < 2:
        return Check("cores", False, f"{cores} core available: service and k6 would share it, and results are marked so",
                     "run on a machine (or CPU set) with at least 2 cores", required=False)  # fmt: skip
    return Check("cores", True, f"{cores} cores: service pinned to half, k6 and Prometheus to the rest")


def _ports(ports: tuple[int, ...]) -> Check:
    busy = [p for p in ports if not port_is_free(p)]
    if busy:
        return Check("ports", False, f"in use on 127.0.0.1: {', '.join(map(str, busy))}",
                     "stop what listens there (ss -ltnp) or pass other ports", required=False)  # fmt: skip
    return Check("ports", True, f"loopback binding works; {', '.join(map(str, ports))} free")


def run_checks(ports: tuple[int, ...] = (9090, 8000)) -> list[Check]:
    """Every check, in the order a user would fix them."""
    return [
        _packages(),
        _tool("k6"),
        _tool("prometheus"),
        _tool("taskset"),
        _tool("nginx", purpose="; the load generator's null target: a run calibrates k6 against it"),
        _tool("promtool", required=False, purpose="; used by the tests to check rules and queries"),
        _tool("helm", required=False, purpose="; needed only for the cluster mode and its tests"),
        _tool("tilt", required=False, purpose="; tests/cluster evaluates the Tiltfile with it"),
        _tool("kube-apiserver", required=False, purpose="; tests/controlplane runs the charts on it"),
        _tool("kwok", required=False, purpose="; tests/controlplane's simulated nodes"),
        _tool("podman", required=False, purpose="; tests/containers runs the images with it"),
        _tool("actionlint", required=False, purpose="; tests/cluster checks the workflows with it"),
        _cores(),
        _ports(ports),
    ]
