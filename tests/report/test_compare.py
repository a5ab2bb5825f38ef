"""compare flags a regression beyond the noise, passes identical runs, and calls differences inside the noise ties."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from observatory.compare import compare_runs
from observatory.results import save
from tests.report.factories import run, typical

ROOT = Path(__file__).resolve().parents[2]


def saved(tmp_path: Path, name: str, data: object) -> Path:
    folder = tmp_path / name
    save(data, folder)  # type: ignore[arg-type]
    return folder


def test_identical_runs_pass(tmp_path: Path) -> None:
    a = saved(tmp_path, "a", typical())
    comparison = compare_runs(a, a)
    assert not comparison.regressions and all(d.verdict == "tie" for d in comparison.differences)


def test_a_drop_beyond_the_noise_is_a_regression(tmp_path: Path) -> None:
    a = saved(tmp_path, "a", run({("flask", "gunicorn-sync", "json", 1): [900, 950, 1000]}))
    b = saved(tmp_path, "b", run({("flask", "gunicorn-sync", "json", 1): [600, 620, 640]}))
    comparison = compare_runs(a, b)
    assert [d.key for d in comparison.regressions] == [("flask", "gunicorn-sync", "json", 1)]
    done = subprocess.run(
        [sys.executable, "-m", "observatory.cli.main", "compare", str(a), str(b)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 1 and "1 regression(s) beyond the noise" in done.stdout


def test_a_difference_inside_the_noise_is_a_tie(tmp_path: Path) -> None:
    a = saved(tmp_path, "a", run({("flask", "gunicorn-sync", "json", 1): [900, 950, 1000]}))
    b = saved(tmp_path, "b", run({("flask", "gunicorn-sync", "json", 1): [880, 930, 990]}))
    assert [d.verdict for d in compare_runs(a, b).differences] == ["tie"]


def test_an_improvement_is_not_a_regression(tmp_path: Path) -> None:
    a = saved(tmp_path, "a", run({("flask", "gunicorn-sync", "json", 1): [900]}))
    b = saved(tmp_path, "b", run({("flask", "gunicorn-sync", "json", 1): [1200]}))
    assert [d.verdict for d in compare_runs(a, b).differences] == ["improvement"]
