"""The kind workflow (.github/workflows/kind.yaml): valid for GitHub Actions (actionlint) and checking what matters.

It cannot run here (no Docker, no GitHub); actionlint, the setup's pinned build, checks its syntax, expressions,
action inputs and job structure, and these tests check that it runs the end-to-end steps issue 11 asks for.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from observatory import queries
from service_common import metric_names
from tests.cluster.rendering import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "kind.yaml"


def actionlint() -> Path:
    path = ROOT / ".tools" / "bin" / "actionlint"
    assert path.is_file(), "actionlint is missing: run make setup (make actionlint)"
    return path


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint(), "-no-color", "-shellcheck=", "-pyflakes=", str(path)], capture_output=True, text=True, timeout=60
    )


def test_actionlint_passes() -> None:
    done = lint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The check can fail: a misspelt context and a missing runner are errors."""
    broken = tmp_path / ".github" / "workflows" / "kind.yaml"
    broken.parent.mkdir(parents=True)
    text = WORKFLOW.read_text().replace("runs-on: ubuntu-24.04", "runs-onn: ubuntu-24.04")
    broken.write_text(text.replace("${{ github.ref }}", "${{ github.reff }}"))
    done = lint(broken)
    assert done.returncode == 1
    assert "runs-on" in done.stdout and "reff" in done.stdout


def test_it_runs_the_end_to_end_steps_issue_11_asks_for() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    script = "\n".join(step.get("run", "") for step in job["steps"])
    # the cluster through the same `make cluster` as here (with a registry: kind's stock node image), then Tilt brings
    # everything up and must finish
    assert "make cluster" in script and "kind create cluster" not in script
    assert "tilt ci" in script and "make python-packages go-tools tilt" in script
    # one short scheduled benchmark, through the same guard as the Tilt button, run to completion
    assert "charts/run-benchmark.sh" in script and "--for=condition=complete" in script
    assert "charts/observatory-load/ci/kind-smoke-values.yaml" in script
    # Prometheus holds the services' own series, k6's, and the capacities per replica count
    for series in (metric_names.REQUESTS_TOTAL, queries.K6_HTTP_REQS, queries.CAPACITY):
        assert series in script, series
    assert "9990" in script  # kind's port mapping of Prometheus's NodePort (kind-config.yaml)
    readme = (ROOT / "charts" / "README.md").read_text()
    assert ".github/workflows/kind.yaml" in readme and "actionlint" in readme


def test_it_runs_the_kind_tests_of_this_machine_in_order() -> None:
    """The steps tested here are the ones published (issue 21): the images and operators built as `make test` builds
    them, loaded after `make cluster`, then tests/kind (charts, benchmark, monitoring, TestRun, tilt ci)."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    runs = [step.get("run", "") for step in job["steps"]]

    def first(text: str) -> int:
        found = [i for i, run in enumerate(runs) if text in run]
        assert found, f"no step runs {text!r}"
        return found[0]

    assert first("make python-packages go-tools tilt operators") < first("make cluster")
    assert first("make cluster") < first("make images operator-images") < first("pytest tests/kind")
    assert first("pytest tests/kind") < first("tilt ci --timeout")
