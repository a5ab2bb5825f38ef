"""The README's picture is the report's own headline figure, drawn by a make target from a real run's results."""

from __future__ import annotations

from pathlib import Path

from observatory.results import save
from tests.report.factories import typical
from tools.readme_figure import write

ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_figure_is_a_small_png_with_its_provenance(tmp_path: Path) -> None:
    run = typical()
    save(run, tmp_path / "run")
    png, text = write(tmp_path / "run", tmp_path / "images")
    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) < 200_000
    assert f"`{run.run_id}`" in text.read_text() and "Test CPU, 2 cores" in text.read_text()


def test_the_readme_shows_the_committed_picture_and_links_where_it_came_from() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "](docs/images/headline.png)" in readme and "](docs/images/headline.md)" in readme
    assert (ROOT / "docs" / "images" / "headline.png").read_bytes().startswith(PNG_MAGIC)
    assert "make readme-figure" in (ROOT / "docs" / "images" / "headline.md").read_text()
