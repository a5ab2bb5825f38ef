"""The report renders every section, needs no network, draws in Chromium, and judges the article's claims honestly."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from observatory.errors import ObservatoryError
from observatory.report import write_report
from observatory.report.claims import DEPENDS, HOLDS, UNMEASURED, judge_claims
from observatory.results import save
from tests.report.factories import run, typical

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def report(tmp_path: Path) -> tuple[Path, Path]:
    save(typical(), tmp_path)
    return write_report(tmp_path)


def test_html_is_self_contained_with_every_plot(report: tuple[Path, Path]) -> None:
    html = report[0].read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), (
        "the report must not load anything from the network"
    )
    assert "<script" not in html
    assert html.count("<svg") == 6  # capacity, 3 load curves, cost, scaling
    for heading in (
        "Capacity",
        "The article's claims",
        "Throughput and latency",
        "CPU and memory",
        "Errors and validity",
        "Scaling",
        "Environment",
    ):
        assert f"<h2>{heading}" in html
    assert "load generator saturated" in html  # invalid trials are shown with their reason


def test_markdown_summary(report: tuple[Path, Path]) -> None:
    text = report[1].read_text()
    # capacity, its 90 % interval, each round's estimate lowest to highest with their CV, the normalised figure
    assert "| json | fastapi | uvicorn | 1 | 3,000 | 2,900–3,100 | 2,900–3,100, CV 3.3% | 3,000 (2,900–3,100) |" in text
    data = typical()
    invalid = sum(not t.valid for t in data.trials)
    assert invalid == 30 and f"Invalid trials: {invalid} of {len(data.trials)}" in text


def test_run_without_data_says_not_measured(tmp_path: Path) -> None:
    save(run({}), tmp_path)
    html, _ = write_report(tmp_path)
    text = html.read_text()
    assert "Not measured" in text and text.count("not measured") >= 5


def test_missing_run_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ObservatoryError, match="no results at"):
        write_report(tmp_path / "missing")


def test_claims_verdicts() -> None:
    verdicts = {v.claim.split(" ")[0]: v for v in judge_claims(typical())}
    assert (
        verdicts["FastAPI"].verdict == DEPENDS
        and "7,600 req/s, 90% interval 7,326–7,700 (uvicorn, json, 4 worker(s)): below the claim"
        in verdicts["FastAPI"].measured
    )
    assert "no hardware" in verdicts["FastAPI"].conditions
    assert verdicts["FastAPI's"].verdict == HOLDS and "5.3x–5.9x" in verdicts["FastAPI's"].measured  # within the run
    assert verdicts["For"].verdict == HOLDS
    fast = run({("fastapi", "uvicorn", "json", 1): [12_000]})
    assert judge_claims(fast)[0].verdict == HOLDS
    fast_django = run({("django", "gunicorn-sync", "json", 1): [6_000]})
    assert (
        judge_claims(fast_django)[1].verdict == DEPENDS and "above the claim" in judge_claims(fast_django)[1].measured
    )
    assert judge_claims(run({}))[3].verdict == UNMEASURED


def test_report_draws_in_chromium_without_console_errors(report: tuple[Path, Path]) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: run make setup"
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    screenshot.unlink(missing_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0"]  # fmt: skip
    url = report[0].as_uri()
    with tempfile.TemporaryDirectory() as profile:
        shot = subprocess.run([chromium, *flags, f"--user-data-dir={profile}", "--window-size=1200,4000", f"--screenshot={screenshot}", url],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [chromium, *flags, f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert screenshot.stat().st_size > 50_000, shot.stderr[-2000:]
    console = [line for line in (shot.stderr + dom.stderr).splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    assert dom.stdout.count("<svg") == 6
    assert re.search(r"<path[^>]+d=\"M", dom.stdout), "the plots have no drawn paths"
