"""The README's picture: the report's headline figure of one run, as a small PNG, with where it came from.

    .venv/bin/python tools/readme_figure.py results/<run-id> docs/images --note "quiet, nothing else running"
    make readme-figure RUN=results/<run-id> NOTE="quiet, nothing else running"

Writes headline.png (the figure `observatory report` draws first, observatory/report/figures.capacity_figure) and
headline.md (the run's id, date, machine and settings, which the README links beside the picture).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from observatory.errors import ObservatoryError
from observatory.report import read_run
from observatory.report.figures import capacity_figure
from observatory.report.scaling import scaling_unit
from observatory.results import Run

DPI = 72  # small enough for a README, large enough to read the bars' labels


def provenance(run: Run, note: str = "") -> str:
    """Where the picture's numbers come from, in Markdown."""
    env, settings = run.environment, run.settings
    size = settings.get("size")
    size_name = size.get("name") if isinstance(size, dict) else size
    return (
        "# The README's picture\n\n"
        f"`headline.png` is the headline figure of run `{run.run_id}` (started {run.created_at}, finished {run.finished_at}), drawn by "
        '`make readme-figure RUN=results/<run-id> NOTE="the machine\'s condition"` (tools/readme_figure.py) from its '
        "results.json; the same command draws it from any run.\n\n"
        f"- machine: {env.get('cpu_model')}, {env.get('cores')} cores, pinning {env.get('pinning')}\n"
        f"- size: {size_name}, repeats: {settings.get('repeats')}, instrumentation: {settings.get('instrumentation')}\n"
        f"- SLO: p99 ≤ {run.slo.get('p99_ms')} ms, errors ≤ {run.slo.get('error_rate')}\n"
        f"- status: {run.status}, {len(run.trials)} trials, "
        f"{sum(1 for t in run.trials if not t.valid)} of them invalid (reasons in its report)\n\n"
        + (f"Condition of the machine: {note}\n\n" if note else "")
        + "One run on one machine: a picture of what the report shows, not a result to quote.\n"
    )


def write(run_dir: Path, folder: Path, note: str = "") -> tuple[Path, Path]:
    """Draw the PNG and its provenance into `folder`."""
    run = read_run(run_dir)
    if not any(c.estimate is not None for c in run.capacity):
        raise ObservatoryError(f"{run_dir}: no capacity to draw")
    folder.mkdir(parents=True, exist_ok=True)
    png, text = folder / "headline.png", folder / "headline.md"
    figure = capacity_figure(run.capacity, run.slo, scaling_unit(run))
    figure.savefig(png, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    text.write_text(provenance(run, note))
    return png, text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="a run folder, results/<run-id>")
    parser.add_argument("folder", type=Path, nargs="?", default=Path("docs/images"), help="where to write")
    parser.add_argument("--note", default="", help="the machine's condition during the run, in words")
    args = parser.parse_args(argv)
    try:
        for path in write(args.run, args.folder, args.note):
            print(path)
    except ObservatoryError as error:
        print(f"readme-figure: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
