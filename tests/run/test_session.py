"""run/session.py without processes: the plan it records, how each slot places its rates from the block's trials so
far, no retries, sweeps in the last round only, and what an interrupted run saves. A fake `_record` answers each
trial from a simulated service of known capacity (tests/judging/simulated.py), judged by the real rules."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from observatory.judging import Slo, judge
from observatory.results import Latency, Trial
from observatory.run import session as session_module
from observatory.run.plan import Pinning, RunOptions
from observatory.run.run_sizes import SIZES, RunSize
from observatory.run.session import Session
from observatory.run.trial import TrialSpec
from observatory.workload_catalog import parse_workloads
from service_common.profiles import find_profile
from tests.judging.simulated import QUIET, SLO_S, severity

CAPACITY = {"fastapi": 3000.0, "flask": 1000.0}


def options(tmp_path: Path, size: RunSize = SIZES["quick"], rounds: int = 3) -> RunOptions:
    return RunOptions(
        profiles=[find_profile("fastapi", "uvicorn"), find_profile("flask", "gunicorn-sync")],
        workloads=parse_workloads("json"), size=size, repeats=rounds, workers=[1], slo=Slo(), output=tmp_path, seed=5,
    )  # fmt: skip


def fake_record(session: Session, invalid_at: set[float] | None = None) -> list[TrialSpec]:
    """Replace the session's `_record` with a simulated service; return the specs it was asked to run."""
    rng = random.Random(1)
    asked: list[TrialSpec] = []

    def record(spec: TrialSpec, service: object, block: object) -> Trial:
        asked.append(spec)
        capacity = CAPACITY[spec.framework]
        rate = spec.rate if spec.rate is not None else capacity * 1.3  # the closed-model probe: above capacity
        value, _, _ = severity(rate, capacity, rng, QUIET)
        requests = int(rate * spec.duration_s)
        trial = Trial(
            trial_id=spec.trial_id, framework=spec.framework, profile=spec.profile, workload=spec.workload.name,
            workers=spec.workers, repeat=spec.repeat, scenario=spec.scenario, offered_rate=spec.rate, vus=spec.vus,
            duration_s=spec.duration_s, started_at="", ended_at="", achieved_rate=rate, client_requests=requests,
            server_requests=requests, client_latency=Latency(p99=value * SLO_S), k6_cpu_utilisation=0.3,
        )  # fmt: skip
        if invalid_at and spec.rate in invalid_at:
            trial.k6_cpu_utilisation = 0.99
        judge(trial, Slo())
        session.run.trials.append(trial)
        return trial

    session._record = record  # type: ignore[method-assign]
    return asked


def test_the_plan_and_the_order_are_in_the_results(tmp_path: Path) -> None:
    with Session(options(tmp_path), run_id="r", pinning=Pinning([0], [1])) as session:
        pass
    saved = json.loads((tmp_path / "r" / "results.json").read_text())
    plan = saved["settings"]["plan"]
    assert [p["round"] for p in plan] == [1, 1, 2, 2, 3, 3]
    assert len({p["hash_seed"] for p in plan}) == 6 and saved["settings"]["rounds"] == 3
    assert saved["settings"]["order"] == [f"{b.profile.key} w1 json #{b.repeat}" for b in session.blocks]


def test_each_slot_places_its_rates_from_the_blocks_trials_and_the_fit_finds_each_capacity(tmp_path: Path) -> None:
    with Session(options(tmp_path), run_id="r", pinning=Pinning([0], [1])) as session:
        asked = fake_record(session)
        for block in session.blocks:
            session._run_slot(block, None)  # type: ignore[arg-type]
    probes = [s for s in asked if s.scenario == "sweep"]
    assert len(probes) == 2  # one probe per block, in its first slot only
    constant = [s for s in asked if s.scenario == "constant"]
    assert len(constant) == 2 * 3 * 3  # three rounds of three trials per block, none retried
    for framework, capacity in CAPACITY.items():
        last = [s.rate or 0 for s in constant if s.framework == framework and s.repeat == 3]
        assert all(0.75 * capacity <= r <= 1.25 * capacity for r in last), last  # round 3 sits on the knee
        (cap,) = [c for c in session.run.capacity if c.framework == framework]
        assert cap.estimate == pytest.approx(capacity, rel=0.1)
        assert cap.low is not None and cap.high is not None and cap.low <= capacity <= cap.high
    assert all(slot.finished and len(slot.rates) == 3 for slot in session.run.slots)
    assert session.run.status == "complete"


def test_an_invalid_trial_is_not_run_again(tmp_path: Path) -> None:
    """Seeded fault: the former retry loop ran an invalid trial's rate once more."""
    with Session(options(tmp_path, rounds=1), run_id="r", pinning=Pinning([0], [1])) as session:
        asked = fake_record(session, invalid_at={780.0})
        block = next(b for b in session.blocks if b.profile.framework == "flask")
        session._run_slot(block, None)  # type: ignore[arg-type]
    rates = [s.rate for s in asked if s.scenario == "constant"]
    assert 780.0 in rates and len(rates) == len(set(rates)) == 3


def test_sweeps_run_in_the_last_round_only(tmp_path: Path) -> None:
    size = SIZES["standard"]
    with Session(options(tmp_path, size=size, rounds=2), run_id="r", pinning=Pinning([0], [1])) as session:
        asked = fake_record(session)
        for block in session.blocks:
            session._run_slot(block, None)  # type: ignore[arg-type]
    sweeps = [(s.repeat, s.vus) for s in asked if s.scenario == "sweep" and s.vus != size.probe_vus]
    assert sorted(sweeps) == sorted((2, v) for v in size.sweep_vus for _ in CAPACITY)


def test_an_interrupted_run_saves_what_it_has_as_partial(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), Session(options(tmp_path), run_id="r", pinning=Pinning([0], [1])) as session:
        fake_record(session)
        session._run_slot(session.blocks[0], None)  # type: ignore[arg-type]
        raise KeyboardInterrupt
    saved = json.loads((tmp_path / "r" / "results.json").read_text())
    assert saved["status"] == "partial" and saved["error"] == "interrupted by the user"
    assert len(saved["capacity"]) == 1 and saved["capacity"][0]["trials_fitted"] == 3


def test_a_slot_starts_a_fresh_service_with_its_hash_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[dict[str, str]] = []

    class Service:
        port = 1

        def __init__(self, *args: object, env: dict[str, str], **kwargs: object) -> None:
            started.append(env)

        def __enter__(self) -> Service:
            return self

        def stop(self) -> None:
            pass

    monkeypatch.setattr(session_module, "ServiceProcess", Service)
    monkeypatch.setattr(session_module, "require_free", lambda port, name: port)
    with Session(options(tmp_path), run_id="r", pinning=Pinning([0], [1])) as session:
        session._prometheus = object()  # type: ignore[assignment]
        session.options = RunOptions(**{**session.options.__dict__, "instrumentation": "off"})
        for block in session.blocks[:2]:
            session._service_for(block)
    assert [e["PYTHONHASHSEED"] for e in started] == [str(b.hash_seed) for b in session.blocks[:2]]
