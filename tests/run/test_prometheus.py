"""The local Prometheus: it finds its targets whatever the working folder, and scrapes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatory.run.prometheus import LocalPrometheus, ScrapeTarget


@pytest.mark.slow
def test_a_relative_work_folder_still_scrapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`observatory run --output results` gives a relative folder; Prometheus resolves paths from its config's."""
    monkeypatch.chdir(tmp_path)
    with LocalPrometheus(Path("results/run/prometheus")) as prom:
        prom.set_targets([ScrapeTarget(f"127.0.0.1:{prom.port}", {"job_kind": "self"})])
        prom.wait_for_targets(1, timeout=10)
        assert prom.workdir.is_absolute()
        assert prom.alive()
    assert not prom.alive()
