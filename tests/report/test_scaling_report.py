"""The report's scaling section, sizing table, environment table and figure widths, and how it looks at 800 px."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from observatory.report import write_report
from observatory.report.figures import headline_capacities
from observatory.report.markdown import render_markdown
from observatory.report.scaling import Law, scaling_fits, why_not_measured
from observatory.results import Run, save
from tests.report.factories import run

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def sweep() -> Run:
    data = {}
    for framework, profile, law in (("fastapi", "uvicorn", Law(3000.0, 0.05)), ("flask", "gunicorn-sync", Law(900.0, 0.15)),
                                    ("django", "gunicorn-sync", Law(950.0, 0.45))):  # fmt: skip
        for workload, scale in (("json", 1.0), ("io", 0.3)):
            for n in (1, 2, 4, 8):
                capacity = float(law.predict(n)) * scale
                data[(framework, profile, workload, n)] = [capacity * 0.97, capacity, capacity * 1.02]
    made = run(data, "sweep")
    made.environment.update(
        cores=16, pinning={"service_cores": list(range(8)), "k6_and_prometheus_cores": list(range(8, 16))}
    )
    return made


def one_worker() -> Run:
    return run({("fastapi", "uvicorn", "json", 1): [3000.0], ("flask", "gunicorn-sync", "json", 1): [900.0]})


def html_of(data: Run, folder: Path) -> str:
    save(data, folder)
    return write_report(folder)[0].read_text()


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a three-framework sweep, rendered once for the tests that only read it."""
    folder = tmp_path_factory.mktemp("sweep")
    html_of(sweep(), folder)
    return folder / "report.html"


def test_a_sweep_shows_curves_law_verdict_and_sizing(swept: Path) -> None:
    html = swept.read_text()
    section = html[html.index("<h2>Scaling") : html.index("<h2>Environment")]
    assert section.count("<svg") == 1 and "Fitted scaling law" in section
    assert "adding workers stops paying after 4" in section  # django, Amdahl s = 0.45: inside the measured 1-8
    assert "extrapolated beyond the measured 8" in section  # fastapi and flask stop beyond what was measured
    assert "Sizing: workers or replicas needed" in section and "no count (ceiling" in section


def test_two_core_run_says_why_local_scaling_is_not_drawn(tmp_path: Path) -> None:
    html = html_of(one_worker(), tmp_path)
    section = html[html.index("<h2>Scaling") : html.index("<h2>Environment")]
    assert "<svg" not in section
    assert "Local scaling is not drawn" in section and "observatory run --workers 1,2,4" in section
    assert "≥ 2 workers" in section  # sizing still answers, as the least it could need


def test_environment_is_a_table_not_a_json_dump(tmp_path: Path) -> None:
    html = html_of(one_worker(), tmp_path)
    section = html[html.index("<h2>Environment") :]
    assert "<pre" not in section and "{" not in section
    assert "<td>pinning / service_cores</td><td>0</td>" in section and "<td>p99_ms</td><td>100.0</td>" in section


def test_headline_shows_each_service_at_its_fewest_workers() -> None:
    shown = headline_capacities(sweep().capacity)
    assert len(shown) == 6 and {c.workers for c in shown} == {1}


def test_every_figure_fits_an_800_pixel_window(swept: Path) -> None:
    html = swept.read_text()
    widths = [float(w) * 96 / 72 for w in re.findall(r'<svg[^>]*?width="([\d.]+)pt"', html)]
    assert len(widths) == 5  # headline, json and io load curves, cost, scaling
    assert max(widths) <= 770, widths  # 800 px less the page's margins: shown at natural size, never shrunk


@pytest.mark.parametrize("width", [800, 1400])
def test_nothing_overflows_the_window_in_chromium(swept: Path, width: int) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: run make setup"
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-sweep-{width}.png"
    shot.unlink(missing_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *flags, f"--user-data-dir={profile}", f"--window-size={width},7000",
                        f"--screenshot={shot}", swept.as_uri()],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    pixels = image.imread(shot)[:, :, :3]
    drawn = (pixels < 0.9).any(axis=2)
    assert drawn[:, : width // 2].sum() > 10_000, "the page drew nothing"
    edge = drawn[:, width - 6 :]  # the page keeps a margin: anything here was cut off or overflowed
    assert not edge.any(), f"something reaches the right edge at rows {np.nonzero(edge.any(axis=1))[0][:10]}"


def test_a_run_that_decided_no_capacity_draws_no_empty_headline(tmp_path: Path) -> None:
    data = one_worker()
    for cap in data.capacity:  # as on a starved machine: every trial invalid, no capacity decided
        cap.estimate = cap.low = cap.high = None
    html = html_of(data, tmp_path)
    section = html[html.index("<h2>Capacity") : html.index("<h2>The article")]
    assert "<svg" not in section and "No capacity was decided" in section


def test_the_markdown_summary_carries_each_scaling_verdict_or_why_there_is_none() -> None:
    swept = sweep()
    summary = render_markdown(swept)
    fits = scaling_fits(swept)
    assert len(fits) == 6
    for f in fits:
        assert (
            f"| {f.framework}/{f.profile} | {f.workload} | {f.measured()} (workers: req/s) | {f.verdict()} |" in summary
        )
    alone = one_worker()
    assert f"Scaling: {why_not_measured(alone)}" in render_markdown(alone)
