"""A service that answers 200 with the wrong body fails real k6 checks, and the trial is invalid with the check's
name (the former harness accepted k6's exit code 99 and never read the checks)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from observatory.judging import GUARDS, Slo, judge
from observatory.k6_summaries import record_client_side
from observatory.results import Trial
from observatory.run.k6 import K6Settings, run_k6


class WrongBody(BaseHTTPRequestHandler):
    """Ready, and 200 with a well-formed but wrong JSON body on every other route."""

    def do_GET(self) -> None:
        body = b"ok" if self.path == "/health/ready" else json.dumps({"message": "Goodbye, World!"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def wrong_service() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), WrongBody)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_wrong_body_makes_the_trial_invalid_with_the_checks_name(wrong_service: str, tmp_path: Path) -> None:
    settings = K6Settings(wrong_service, "json", "constant", "wrong", "wrong", "test", "wrong-body", duration_s=2.0,
                          rate=50, pre_vus=10, max_vus=10, checks="body")  # fmt: skip
    outcome = run_k6(settings, tmp_path / "summary.json", tmp_path / "k6.log")
    assert outcome.exit_code == 99  # the checks threshold failed, as k6 says
    trial = Trial("t", "test", "wrong-body", "json", 1, 1, "constant", 50.0, None, 2.0, "", "")
    record_client_side(trial, outcome.summary, 2.0, k6_utilisation=None)
    assert trial.client_requests >= 90 and trial.errors == 0
    judged = judge(trial, Slo())
    assert not judged.valid and not judged.slo_met
    assert any("response check failed: 'body as expected' failed on" in r for r in judged.invalid_reasons)
    # Seeded fault: without the checks guard the same wrong answers would publish as a pass.
    without = tuple(g for g in GUARDS if g.name != "response checks")
    assert judge(trial, Slo(), guards=without).slo_met
