"""The local Prometheus: it finds its targets whatever the working folder, scrapes them, and says when a scrape
followed a given moment."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from observatory.run.prometheus import LocalPrometheus, ScrapeTarget, _epoch


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


class CounterExporter:
    """A /metrics endpoint on loopback with one counter the test sets."""

    def __init__(self) -> None:
        self.value = 0
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = f"# TYPE served_total counter\nserved_total {exporter.value}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CounterExporter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"


@pytest.mark.slow
def test_after_a_trial_the_final_counters_are_read_from_a_scrape_made_after_it(tmp_path: Path) -> None:
    """The trial waits for a scrape that started after its load ended, not a fixed time: ten times in a row, the
    counter read right after the wait is the value set before it (without the wait, it is the old one about as
    often as a read falls before the next half-second scrape)."""
    with CounterExporter() as exporter, LocalPrometheus(tmp_path / "prometheus") as prom:
        prom.set_targets([ScrapeTarget(exporter.address, {"job_kind": "counter"})])
        prom.wait_for_targets(1, timeout=10)
        for value in range(1, 11):
            exporter.value = value
            ended = time.time()
            prom.wait_for_scrapes_after(ended)
            assert prom.query_value('served_total{job_kind="counter"}') == value


@pytest.mark.parametrize(
    ("stamp", "epoch"),
    [
        ("2026-11-28T07:40:01.123456789Z", 1795851601.123456789),
        ("2026-11-28T07:40:01Z", 1795851601.0),
        ("0001-01-01T00:00:00Z", None),
        ("", None),
    ],
)
def test_prometheus_scrape_times_are_read_to_the_sub_second(stamp: str, epoch: float | None) -> None:
    assert _epoch(stamp) == pytest.approx(epoch) if epoch is not None else _epoch(stamp) is None
