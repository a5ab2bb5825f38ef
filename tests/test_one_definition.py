"""One definition per fact: where a fact must be written in two languages (Python and the k6 script), or where two
modules need it, the copies are checked against the one source here, so they cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

from observatory.judging.slo import Slo
from observatory.judging.trial import SATURATED_K6_UTILISATION
from observatory.run import calibration
from observatory.run.k6 import K6Settings
from observatory.workload_catalog import WORKLOADS
from service_common import limits, sqlite

ROOT = Path(__file__).resolve().parents[1]
CONFIG_JS = (ROOT / "loadtests" / "lib" / "config.js").read_text()
WORKLOADS_JS = (ROOT / "loadtests" / "lib" / "workload_requests.js").read_text()


def test_the_k6_scripts_know_exactly_the_harness_workloads() -> None:
    listed = re.search(r"export const WORKLOADS = \[([^\]]*)\]", CONFIG_JS)
    assert listed, "loadtests/lib/config.js lists its workloads in WORKLOADS"
    assert re.findall(r"'([\w-]+)'", listed.group(1)) == list(WORKLOADS)
    body = WORKLOADS_JS[WORKLOADS_JS.index("export const workloads = {") :]
    defined = re.findall(r"^  '?([\w-]+)'?: \(c\) =>", body, flags=re.MULTILINE)
    assert defined == list(WORKLOADS)


def test_the_k6_scripts_hit_each_workloads_route() -> None:
    for workload in WORKLOADS.values():
        route = workload.route
        assert f"'{route}'" in WORKLOADS_JS or f"`${{c.baseUrl}}{route}`" in WORKLOADS_JS, route


def test_seeded_users_are_the_services_count() -> None:
    (value,) = re.findall(r"const SEEDED_USERS = (\d+);", WORKLOADS_JS)
    assert int(value) == limits.SEEDED_USERS


def test_the_slo_defaults_are_the_same_everywhere() -> None:
    slo = Slo()
    settings = K6Settings("http://x", "json", "constant", "t", "r", "f", "p", 1.0)
    assert (settings.slo_p99_ms, settings.slo_error_rate) == (slo.p99_ms, slo.error_rate)
    assert f"number('SLO_P99_MS', {slo.p99_ms:g}," in CONFIG_JS
    assert f"number('SLO_ERROR_RATE', {slo.error_rate:g}," in CONFIG_JS


def test_the_calibration_and_the_trials_share_the_saturation_threshold() -> None:
    assert calibration.MAX_CPU is SATURATED_K6_UTILISATION


def test_sqlite_pragmas_are_written_once() -> None:
    services = ROOT / "services"
    written = [
        p
        for p in services.rglob("*.py")
        if "PRAGMA journal_mode" in p.read_text() or "journal_mode=WAL" in p.read_text()
    ]
    assert written == [services / "common" / "service_common" / "sqlite.py"]
    assert "journal_mode=WAL" in sqlite.init_command()
