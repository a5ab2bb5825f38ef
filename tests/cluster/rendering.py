"""Render the charts with helm, offline: the cases are the defaults and every file in each chart's ci/ folder."""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from observatory import tools

ROOT = Path(__file__).resolve().parents[2]
CHARTS = sorted(p.parent for p in (ROOT / "charts").glob("*/Chart.yaml"))


@dataclass(frozen=True)
class Case:
    """One chart rendered with one values file (None: the chart's defaults)."""

    chart: Path
    values: Path | None

    @property
    def id(self) -> str:
        return f"{self.chart.name}:{self.values.stem if self.values else 'defaults'}"

    @property
    def release(self) -> str:
        return self.chart.name


CASES = [Case(chart, values) for chart in CHARTS for values in [None, *sorted((chart / "ci").glob("*.yaml"))]]


def helm() -> str:
    """helm from PATH or .tools/bin; the setup installs it, so a missing helm fails the test."""
    path = tools.find("helm")
    assert path, "helm is missing: run make setup"
    return path


def values_args(case: Case) -> list[str]:
    return ["--values", str(case.values)] if case.values else []


@functools.cache
def render_text(case: Case) -> str:
    """`helm template` output, with the chart's NOTES kept out."""
    done = subprocess.run(
        [helm(), "template", case.release, str(case.chart), *values_args(case)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@functools.cache
def render(case: Case) -> list[dict]:
    """The rendered objects of one case (parsed once: callers must not change them)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [doc for doc in yaml.load_all(render_text(case), Loader=loader) if doc]


def pod_specs(doc: dict) -> list[dict]:
    """The pod specs an object creates (Deployment, StatefulSet, Job, CronJob); none for other kinds."""
    kind = doc["kind"]
    if kind in ("Deployment", "StatefulSet", "Job"):
        return [doc["spec"]["template"]["spec"]]
    if kind == "CronJob":
        return [doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]]
    return []


def containers(pod: dict) -> list[dict]:
    return [*pod.get("initContainers", []), *pod["containers"]]
