"""The command line: help that explains, one-line errors for bad input, and doctor naming what is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "observatory.cli.main", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_help_lists_every_command() -> None:
    done = cli("--help")
    assert done.returncode == 0
    for command in ("run", "doctor", "report", "compare"):
        assert command in done.stdout


def test_run_help_explains_sizes_and_slo() -> None:
    done = cli("run", "--help")
    assert "quick" in done.stdout and "--slo-p99-ms" in done.stdout and "--workers" in done.stdout


def test_unknown_workload_is_one_clear_line(tmp_path: Path) -> None:
    done = cli("run", "--workloads", "json,nope", "--output", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "observatory: error: unknown workload(s) nope; choose from json, plaintext, db, queries, updates, fortunes, "
        "users-get, users-post, io, cpu"
    )
    assert not list(tmp_path.iterdir())


def test_unknown_profile_names_the_known_ones() -> None:
    done = cli("run", "--profiles", "flask/bjoern")
    assert done.returncode == 1
    assert "unknown profile flask/bjoern; known:" in done.stderr and "flask/gunicorn-sync" in done.stderr
    assert "Traceback" not in done.stderr


def test_report_of_a_missing_run_is_one_line(tmp_path: Path) -> None:
    done = cli("report", str(tmp_path / "nope"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("observatory: error:")


def test_doctor_names_missing_k6(tmp_path: Path) -> None:
    path = ":".join(p for p in os.environ["PATH"].split(":") if not (Path(p) / "k6").exists())
    env = {**os.environ, "PATH": path, "OBSERVATORY_TOOLS_BIN": str(tmp_path)}
    done = cli("doctor", env=env)
    assert done.returncode == 1
    k6_line = next(line for line in done.stdout.splitlines() if " k6:" in line)
    assert k6_line.strip().startswith("FAIL") and "make k6" in k6_line
    assert "missing: k6" in done.stdout
    assert "local run set: missing k6 (make quickstart" in done.stdout


def test_doctor_reports_the_test_and_cluster_sets_without_failing(tmp_path: Path) -> None:
    """Seeded fault: no .tools/bin and a PATH without helm. The local run stays ready; the other sets say what is
    missing and which command installs it."""
    path = ":".join(p for p in os.environ["PATH"].split(":") if not (Path(p) / "helm").exists())
    env = {**os.environ, "PATH": path, "OBSERVATORY_TOOLS_BIN": str(tmp_path)}
    done = cli("doctor", env=env)
    sets = {line.split(" set: ")[0]: line.split(" set: ")[1] for line in done.stdout.splitlines() if " set: " in line}
    assert set(sets) == {"local run", "tests", "cluster"}
    assert "helm" in sets["tests"] and sets["tests"].endswith("(make setup)")
    assert "helm" in sets["cluster"] and "charts/README.md" in sets["cluster"]
    if sets["local run"] == "present":  # k6 and the rest on PATH: the run set alone decides the exit code
        assert done.returncode == 0
    else:
        assert done.returncode == 1


def test_run_without_k6_fails_in_one_line(tmp_path: Path) -> None:
    path = ":".join(p for p in os.environ["PATH"].split(":") if not (Path(p) / "k6").exists())
    env = {**os.environ, "PATH": path, "OBSERVATORY_TOOLS_BIN": str(tmp_path)}
    done = cli("run", "--output", str(tmp_path / "out"), env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("observatory: error: k6 not found") and done.stderr.count("\n") == 1
