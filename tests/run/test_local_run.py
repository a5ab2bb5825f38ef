"""`observatory run` end to end with the real services, k6 and Prometheus, and its failure paths."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from observatory.judging import Slo
from observatory.results import load
from observatory.run.plan import pin_cores
from observatory.run.prometheus import LocalPrometheus, ScrapeTarget
from observatory.run.service import ServiceProcess
from observatory.run.trial import TrialContext, TrialSpec, run_trial
from observatory.workload_catalog import WORKLOADS
from service_common.profiles import find_profile

ROOT = Path(__file__).resolve().parents[2]


def observatory(*args: str, preexec_fn: Callable[[], object] | None = None) -> subprocess.Popen[str]:
    """Start the CLI as a user would, in its own process group (`preexec_fn` runs in the child before it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "observatory.cli.main", *args], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=preexec_fn,
    )  # fmt: skip


def leftovers(marker: str) -> list[str]:
    """Processes whose command line mentions `marker` (the run's own folder)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if marker in cmdline and process.pid != os.getpid():
            found.append(cmdline[:160])
    return found


def only_run(output: Path) -> Path:
    runs = [p for p in output.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    return runs[0]


@pytest.mark.slow
def test_tiny_run_of_three_frameworks(tmp_path: Path) -> None:
    """Non-zero rates, ordered percentiles, and equal client and server counts on every valid trial."""
    cli = observatory(
        "run", "--size", "tiny", "--workloads", "json,db", "--output", str(tmp_path), "--no-report", "--seed", "7"
    )
    out, err = cli.communicate(timeout=420)
    assert cli.returncode == 0, err[-2000:]
    assert "Capacity" in out
    run = load(only_run(tmp_path))
    assert run.status == "complete"
    assert {(t.framework, t.workload) for t in run.trials} == {
        (f, w) for f in ("fastapi", "flask", "django") for w in ("json", "db")
    }
    assert run.environment["pinning"] == pin_cores().as_dict()
    assert run.environment["packages"]["django"].startswith("5.2")
    for trial in run.trials:
        assert trial.achieved_rate > 0, trial.trial_id
        for side in (trial.client_latency, trial.server_latency):
            assert side.p50 is not None and side.p95 is not None and side.p99 is not None, trial.trial_id
            assert side.p50 <= side.p95 <= side.p99, (trial.trial_id, side)
        # The count guard's verdict agrees with the counts on every trial, valid or not (not only on those it passed).
        assert trial.server_requests is not None, trial.trial_id
        disagree = abs(trial.client_requests + trial.warmup_requests - trial.server_requests) > trial.errors
        assert disagree == any("counts disagree" in r for r in trial.invalid_reasons), trial.trial_id
        assert trial.host_stalls is not None and trial.host_stalls["window_s"] > 0, trial.trial_id
        if trial.valid:
            assert trial.cpu_seconds_per_1k and trial.cpu_seconds_per_1k > 0
            assert trial.peak_rss_bytes and trial.peak_rss_bytes > 10 * 2**20
    assert len(run.capacity) == 6
    assert run.calibration is not None and run.calibration["ladders"]
    assert {(s.framework, s.workload) for s in run.slots if s.finished} == {
        (f, w) for f in ("fastapi", "flask", "django") for w in ("json", "db")
    }
    assert all(s.hash_seed == p["hash_seed"] for s, p in zip(run.slots, run.settings["plan"], strict=True))
    for cap in run.capacity:  # every capacity says how it was bounded: an interval, a "≥" or a "<" (or none was valid)
        bounded = cap.lower_bound or cap.lower_bound_reason or (cap.low is not None and cap.high is not None)
        assert bounded or (cap.trials_fitted == 0 and cap.estimate is None), cap
    assert not leftovers(str(tmp_path))


@pytest.mark.slow
def test_service_killed_mid_run(tmp_path: Path) -> None:
    """A clear one-line error, the trials so far kept, and no process left behind."""
    cli = observatory(
        "run",
        "--frameworks",
        "flask",
        "--size",
        "quick",
        "--workloads",
        "json,io,cpu",
        "--output",
        str(tmp_path),
        "--no-report",
    )
    victim = None
    # waits for the event (a recorded trial, however long the calibration before it takes), bounded by pytest's
    # timeout; a run that ends first fails below
    while victim is None and cli.poll() is None:
        for child in psutil.Process(cli.pid).children(recursive=True):
            try:
                if "service_common.launch" in " ".join(child.cmdline()) or "gunicorn" in " ".join(child.cmdline()):
                    results = list(tmp_path.glob("*/results.json"))
                    if results and json.loads(results[0].read_text())["trials"]:
                        victim = child
                        break
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.2)
    assert victim is not None, "the run never got to its first recorded trial"
    os.killpg(victim.pid, signal.SIGKILL)
    _out, err = cli.communicate(timeout=120)
    assert cli.returncode == 1
    lines = [line for line in err.strip().splitlines() if line.startswith("observatory:")]
    assert len(lines) == 1 and "died" in lines[0], err[-2000:]
    assert "Traceback" not in err
    run = load(only_run(tmp_path))
    assert run.status == "partial" and "died" in (run.error or "")
    assert run.trials, "the trials recorded before the failure were lost"
    time.sleep(1)
    assert not leftovers(str(tmp_path))


def trial_in_flight(cli: subprocess.Popen[str], output: Path) -> psutil.Process | None:
    """The k6 of a trial running now, once the run has recorded a trial (so there are results to keep), or None."""
    results = list(output.glob("*/results.json"))
    if not results or not json.loads(results[0].read_text())["trials"]:
        return None
    for child in psutil.Process(cli.pid).children(recursive=True):
        try:
            argv = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        if argv and Path(argv[0]).name == "k6" and "run" in argv:
            return child
    return None


@pytest.mark.slow
def test_ctrl_c_stops_everything_and_keeps_results(tmp_path: Path) -> None:
    """Ctrl-C in the middle of a trial, however fast the machine: the test waits for a trial's k6 after the first
    recorded trial and holds it (SIGSTOP) while the signal arrives, so the run cannot finish first. The CLI starts
    with SIGINT ignored, as a script's background job inherits it: it must stop all the same."""
    cli = observatory(
        "run", "--frameworks", "fastapi", "--size", "quick", "--workloads", "json,io,cpu",
        "--output", str(tmp_path), "--no-report",
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    try:
        k6 = None
        while k6 is None:  # bounded by pytest's timeout; a run that ends first fails below
            if cli.poll() is not None:
                raise AssertionError(f"the run ended (exit {cli.returncode}) before a trial could be interrupted: "
                                     f"{cli.communicate()[1][-1500:]}")  # fmt: skip
            k6 = trial_in_flight(cli, tmp_path)
            if k6 is not None:
                try:
                    k6.suspend()
                except psutil.NoSuchProcess:  # that trial ended meanwhile: wait for the next one
                    k6 = None
            time.sleep(0.1)
        try:
            os.killpg(cli.pid, signal.SIGINT)
        finally:
            with contextlib.suppress(psutil.NoSuchProcess):
                k6.resume()
        _out, err = cli.communicate(timeout=120)
        assert cli.returncode == 130, err[-2000:]
        assert "Traceback" not in err
        run = load(only_run(tmp_path))
        assert run.status == "partial" and run.error == "interrupted by the user"
        assert run.trials, "the trials recorded before Ctrl-C were lost"
        assert not k6.is_running() or k6.status() == psutil.STATUS_ZOMBIE
    finally:  # a failed test leaves no run behind (SIGTERM: the CLI stops what it started)
        if cli.poll() is None:
            os.killpg(cli.pid, signal.SIGTERM)
            cli.wait()
    time.sleep(1)
    assert not leftovers(str(tmp_path))


@pytest.mark.slow
def test_saturated_generator_is_flagged_invalid(tmp_path: Path) -> None:
    """An arrival rate far beyond what the allowed VUs can send is invalid, with that reason."""
    profile = find_profile("baseline-asgi", "uvicorn")
    pinning = pin_cores()
    with (
        LocalPrometheus(tmp_path / "prom", cores=pinning.load) as prom,
        ServiceProcess(profile, tmp_path / "svc", cores=pinning.service) as svc,
    ):
        prom.set_targets([ScrapeTarget(f"127.0.0.1:{svc.port}")])
        prom.wait_for_targets(1)
        context = TrialContext(svc.url, prom, pinning.load, "sat", tmp_path, Slo(), instrumented=True)
        spec = TrialSpec("baseline-asgi", "uvicorn", WORKLOADS["io"], 1, 1, "constant", 2, rate=500)
        trial = run_trial(spec, context, max_vus=1)
    assert trial.dropped_iterations > 0
    assert not trial.valid and not trial.slo_met
    assert any(reason.startswith("load generator saturated") for reason in trial.invalid_reasons)
