"""Generator calibration: the clean-ceiling rule, the generator guards, the cache key, and real k6 against nginx."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from observatory import tools
from observatory.judging.capacity import from_trials
from observatory.judging.generator import above_ceiling, generator_bound, starved
from observatory.judging.slo import Slo
from observatory.judging.trial import GUARDS, Guard, judge
from observatory.results import Latency, Trial
from observatory.run import calibration
from observatory.run.calibration import Point, calibrate, clean_ceiling, connection_mode, ladder_key, load_cached
from observatory.run.k6 import K6Settings, run_k6
from observatory.run.null_target import CLOSE, KEEP_ALIVE, NullTarget

GENERATOR_GUARDS = GUARDS  # the generator guards are in the trials' table (observatory/judging/trial.py)
WITHOUT_CEILING = tuple(g for g in GUARDS if g.check is not above_ceiling)


def test_the_generator_guards_are_in_the_table() -> None:
    assert Guard("generator ceiling", above_ceiling) in GUARDS and Guard("generator starved", starved) in GUARDS


def point(rate: float, p99: float, dropped: int = 0, cpu: float = 0.3) -> Point:
    return Point(rate, int(rate * 2), p99 / 4, p99, dropped, 0, cpu, 0.0, 1.0)


def trial(rate: float, p99_ms: float, **fields: object) -> Trial:
    base = Trial(f"t{rate}", "fastapi", "uvicorn", "json", 1, 1, "constant", rate, None, 3.0, "", "")
    base.client_requests = int(rate * 3)
    base.client_latency = Latency(p50=p99_ms / 4000, p99=p99_ms / 1000)
    for name, value in fields.items():
        setattr(base, name, value)
    return base


def test_the_clean_ceiling_is_the_last_rate_before_the_first_unclean_one() -> None:
    points = [point(500, 1.0), point(1000, 2.0), point(2000, 9.9), point(3000, 26.0), point(4000, 3.0)]
    assert clean_ceiling(points, 10.0) == 2000  # 4,000 looked clean again, but a rate below it was not
    assert clean_ceiling(points, 30.0) == 4000
    assert clean_ceiling([point(500, 12.0)], 10.0) is None


@pytest.mark.parametrize(
    ("bad", "why"),
    [(point(1000, 2.0, dropped=3), "3 dropped"), (point(1000, 2.0, cpu=0.92), "k6 at 92% CPU"),
     (point(1000, 10.5), "k6's p99 10.5 ms > 10 ms")],
)  # fmt: skip
def test_drops_cpu_and_latency_each_make_a_rate_unclean(bad: Point, why: str) -> None:
    assert bad.problems(10.0) == [why]
    assert clean_ceiling([point(500, 1.0), bad], 10.0) == 500


def test_the_clean_bound_is_ten_percent_of_the_slo() -> None:
    assert calibration.clean_p99_ms(100.0) == 10.0
    assert calibration.clean_p99_ms(250.0) == 25.0


def test_a_capacity_at_or_above_the_ceiling_is_only_a_lower_bound() -> None:
    assert (
        generator_bound(4000, 4400, ceiling=3000) == "load generator: k6's clean ceiling on this machine is 3,000 req/s"
    )
    assert generator_bound(3000, None, ceiling=3000) is not None
    assert generator_bound(2800, 3200, ceiling=3000) is not None  # the miss above the ceiling may be k6's
    assert generator_bound(2000, 2400, ceiling=3000) is None  # the service missed well below k6's ceiling
    assert generator_bound(2000, 2400, ceiling=None) is None


def test_a_miss_above_the_ceiling_is_invalid_and_the_capacity_is_published_as_at_least() -> None:
    slo = Slo()
    trials = [
        trial(2000, 8.0, generator_ceiling_rps=3000.0),
        trial(2500, 9.0, generator_ceiling_rps=3000.0),
        trial(3500, 180.0, generator_ceiling_rps=3000.0),  # missed, above the ceiling
    ]
    for t in trials:
        judge(t, slo, GENERATOR_GUARDS)
    assert trials[2].invalid_reasons == [
        "load generator: 3,500 req/s is above k6's clean ceiling on this machine (3,000 req/s, calibrated against a "
        "null target); the miss may be k6's own latency"
    ]
    (capacity,) = from_trials(trials)
    assert capacity.estimate == 2500
    assert capacity.lower_bound and capacity.lower_bound_reason == "load generator"
    # Seeded fault: without the ceiling guard the same trials publish 2,500 as the service's capacity.
    for t in trials:
        judge(t, slo, WITHOUT_CEILING)
    (unguarded,) = from_trials([replace(t, generator_ceiling_rps=None) for t in trials])
    assert not unguarded.lower_bound


def test_a_miss_below_the_ceiling_stays_the_services() -> None:
    below = judge(trial(2500, 180.0, generator_ceiling_rps=3000.0), Slo(), GENERATOR_GUARDS)
    assert below.valid and not below.slo_met
    passed_above = judge(trial(3500, 9.0, generator_ceiling_rps=3000.0), Slo(), GENERATOR_GUARDS)
    assert passed_above.valid and passed_above.slo_met  # a pass is a pass: k6's latency only adds


@pytest.mark.parametrize(("wait", "flagged"), [(None, False), (0.05, False), (0.49, False), (0.5, True), (0.9, True)])
def test_a_miss_while_the_generator_waited_for_a_cpu_is_starved(wait: float | None, flagged: bool) -> None:
    assert judge(trial(1000, 5.0, k6_cpu_wait=wait), Slo(), GENERATOR_GUARDS).valid  # a pass stands
    judged = judge(trial(1000, 250.0, k6_cpu_wait=wait), Slo(), GENERATOR_GUARDS)
    assert judged.valid is not flagged
    if flagged:
        assert judged.invalid_reasons[0].startswith("load generator starved: k6's threads waited for a CPU")


def test_a_ladder_measured_on_a_busy_host_is_not_a_calibration() -> None:
    def ladder(*waits: float) -> calibration.Ladder:
        points = [Point(500 * (i + 1), 1000, 0.2, 2.0, 0, 0, 0.2, w, 1.0) for i, w in enumerate(waits)]
        return calibration.Ladder("json", KEEP_ALIVE, {"clean_p99_ms": 10.0}, "now", points)

    assert ladder(0.01, 0.05, 0.9).host_busy is None  # one busy rate: the median is calm
    assert ladder(0.7, 0.55, 0.01).host_busy == (
        "k6 waited for a CPU 55% of the time (median over rates): the host was busy"
    )


def test_a_ladder_ended_by_a_busy_moment_is_not_a_calibration() -> None:
    """The ceiling rests on the one rate that ended the climb: k6 starved there means the host ended it."""

    def ladder(ending_wait: float) -> calibration.Ladder:
        clean = [Point(1000 * (i + 1), 1000, 0.2, 2.0, 0, 0, 0.3, 0.05, 1.0) for i in range(3)]
        ending = Point(4000, 1000, 0.2, 60.0, 300, 0, 0.5, ending_wait, 1.0)  # unclean: p99 and drops
        return calibration.Ladder("json", KEEP_ALIVE, {"clean_p99_ms": 10.0}, "now", [*clean, ending])

    assert ladder(0.05).host_busy is None  # k6 itself ran out: a calibration
    assert ladder(0.05).ceiling_rps == 3000
    assert ladder(calibration.ENDING_WAIT).host_busy == (
        "k6 waited for a CPU 25% of the time at 4,000 req/s, the rate that ended the ladder: the host, not k6, "
        "may have ended it"
    )


def test_connection_modes_follow_the_server() -> None:
    assert connection_mode("gunicorn", "gunicorn_sync.conf.py") == CLOSE
    assert connection_mode("gunicorn", "gunicorn_gthread.conf.py") == KEEP_ALIVE
    assert connection_mode("uvicorn", None) == KEEP_ALIVE


# A real-time busy loop on k6's core that holds it 9 ms of every 10 ms. Real-time priority beats every
# normal task whatever its nice value or session (with autogroups, a nice -20 hog in another session only
# halves k6's share, which a fast CPU absorbs at this rate: that is how CI once saw a clean trial). k6 keeps
# about a tenth of its core, and the loop ends by itself.
HOG = """
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
end = time.monotonic() + float(sys.argv[2])
while (now := time.monotonic()) < end:
    busy_until = now + 0.009
    while time.monotonic() < busy_until:
        pass
    time.sleep(0.001)
"""


def test_a_generator_starved_of_cpu_is_flagged_and_its_capacity_published_as_at_least(tmp_path: Path) -> None:
    """Real k6 against nginx at 3,000 req/s while a real-time busy loop takes nine tenths of k6's core.

    Without the hog this rate is clean for k6 here (p99 under 4 ms, nothing dropped); with it k6 cannot start its
    iterations on time. Whichever generator guard sees it (drops while responses were fast, a starved miss, k6's CPU),
    the trial decides nothing about the service and the capacity below it is published as ≥, by the load generator.
    """
    cores = sorted(os.sched_getaffinity(0))
    k6_core = cores[-1]
    with NullTarget(tmp_path / "nginx", KEEP_ALIVE, cores=cores[:1]) as target:
        settings = K6Settings(target.url, "json", "constant", "starved", "starved", "null", "nginx", duration_s=3.0,
                              rate=3000, pre_vus=300, max_vus=300, warmup_s=1.0)  # fmt: skip
        hog = subprocess.Popen([sys.executable, "-c", HOG, str(k6_core), "20"], stderr=subprocess.PIPE, text=True)
        try:
            outcome = run_k6(settings, tmp_path / "summary.json", tmp_path / "k6.log", cores=[k6_core])
            hog_ran_throughout = hog.poll() is None
        finally:
            hog.kill()
            _, hog_errors = hog.communicate()
    assert hog_ran_throughout, f"the hog ended before k6 did: {hog_errors}"
    p99_ms = outcome.metric("http_req_duration", "p(99)")
    drops = int(outcome.metric("dropped_iterations", "count", default=0))
    starved_trial = trial(3000, p99_ms, k6_cpu_wait=outcome.load_cpu_wait, dropped_iterations=drops)
    trials = [trial(1500, 2.0), starved_trial]
    for t in trials:
        judge(t, Slo(), GENERATOR_GUARDS)
    assert not starved_trial.valid, (p99_ms, drops, outcome.load_cpu_wait)
    assert starved_trial.invalid_reasons[0].startswith("load generator"), starved_trial.invalid_reasons
    (capacity,) = from_trials(trials)
    assert capacity.estimate == 1500 and capacity.lower_bound and capacity.lower_bound_reason == "load generator"


def fake_k6_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `k6` first on PATH that reports another version and runs the real one."""
    real = tools.require("k6")
    wrapper = tmp_path / "bin" / "k6"
    wrapper.parent.mkdir()
    wrapper.write_text(
        f'#!/bin/sh\n[ "$1" = version ] && {{ echo "k6 v9.9.9 (a newer k6)"; exit 0; }}\nexec {real} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}{os.pathsep}{os.environ['PATH']}")


def test_the_cache_holds_until_k6_or_the_script_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cores = sorted(os.sched_getaffinity(0))
    pinning = {"k6_cores": cores[-1:], "service_cores": cores[:1]}

    def run(refresh: bool = False) -> calibration.Calibration:
        return calibrate([("json", KEEP_ALIVE)], 100.0, work_dir=tmp_path / "work", refresh=refresh, rates=(200,),
                         cache_dir=cache, keep_busy=True, k6_cores=cores[-1:], service_cores=cores[:1])  # fmt: skip

    first = run()
    (ladder,) = first.ladders
    assert not ladder.cached and ladder.points[-1].rate == 200  # (100 too, first, if 200 was not clean)
    assert 280 <= ladder.points[-1].requests <= 305  # 1.5 s measured at 200/s, the warm-up left out
    assert first.as_dict()["ladders"][0]["ceiling_rps"] == ladder.ceiling_rps
    # how fast the host ran meanwhile: the stall meter's reference work on k6's core (tens to hundreds of µs here)
    assert ladder.work_us is not None and 20 < ladder.work_us < 5000, ladder.points
    assert first.as_dict()["ladders"][0]["work_us"] == ladder.work_us
    again = run()
    assert again.ladders[0].cached and again.ladders[0].points == ladder.points

    key = ladder_key("json", KEEP_ALIVE, 100.0, rates=(200,), **pinning)
    assert load_cached(key, cache) is not None
    # Another k6 version: a different key, so no calibration.
    with monkeypatch.context() as patch:
        fake_k6_on_path(tmp_path, patch)
        assert "v9.9.9" in (tools.version("k6") or "")
        assert load_cached(ladder_key("json", KEEP_ALIVE, 100.0, rates=(200,), **pinning), cache) is None
    # A changed script (one library file edited): a different key.
    scripts = tmp_path / "loadtests"
    shutil.copytree(calibration.SCRIPT_DIR, scripts)
    with (scripts / "lib" / "workload_requests.js").open("a") as handle:
        handle.write("\n// edited\n")
    monkeypatch.setattr(calibration, "SCRIPT_DIR", scripts)
    assert calibration.script_hash() != calibration.script_hash(tools.ROOT / "loadtests")
    assert load_cached(ladder_key("json", KEEP_ALIVE, 100.0, rates=(200,), **pinning), cache) is None
    monkeypatch.undo()
    # Another SLO changes the clean bound, so it is another calibration too; --refresh measures again.
    assert load_cached(ladder_key("json", KEEP_ALIVE, 500.0, rates=(200,), **pinning), cache) is None
    assert not run(refresh=True).ladders[0].cached


def test_the_ladder_climbs_until_unclean_and_steps_down_when_the_first_rate_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ladder's walk, with k6's figures given per rate (clean up to `limit`), each unclean rate tried twice."""

    def walk(limit: float) -> tuple[list[float], float | None]:
        tried: list[float] = []

        def fake(target: object, workload: str, rate: float, *args: object) -> Point:
            tried.append(rate)
            return point(rate, 2.0 if rate <= limit else 50.0)

        monkeypatch.setattr(calibration, "measure_rate", fake)
        target = type("Target", (), {"mode": KEEP_ALIVE})()
        key = {"rates": [500.0, 1000.0, 2000.0], "below": [250.0, 100.0], "clean_p99_ms": 10.0}
        ladder = calibration.run_ladder(target, "json", key, 100.0, [1], Path("/nonexistent"))  # type: ignore[arg-type]
        assert [p.rate for p in ladder.points] == sorted(set(tried))
        return tried, ladder.ceiling_rps

    assert walk(1000) == ([500, 1000, 2000, 2000], 1000)
    assert walk(5000) == ([500, 1000, 2000], 2000)  # clean to the top: the ceiling is at least the top
    assert walk(100) == ([500, 500, 250, 250, 100], 100)
    assert walk(50) == ([500, 500, 250, 250, 100, 100], 0.0)  # not clean anywhere: no miss is the service's


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--workloads", "nope"], "unknown workload(s) nope"), (["--modes", "sometimes"], "unknown connection mode(s)")],
)
def test_calibrate_refuses_bad_input_in_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from observatory.cli.main import main

    assert main(["calibrate", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("observatory: error: ") and message in err and err.count("\n") == 1


def test_k6_runs_beside_another_k6_without_fighting_for_its_api_port(tmp_path: Path) -> None:
    """k6's REST API port (6565 by default) held by someone else: the harness's k6 still runs cleanly."""
    holder = socket.socket()
    try:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 6565))
        holder.listen()
    except OSError:
        pass  # already held by another process: the condition under test holds anyway
    try:
        with NullTarget(tmp_path / "nginx", KEEP_ALIVE, cores=sorted(os.sched_getaffinity(0))[:1]) as target:
            settings = K6Settings(target.url, "json", "constant", "api", "api", "null", "nginx", duration_s=1.0,
                                  rate=50, pre_vus=5, max_vus=5, warmup_s=0.0)  # fmt: skip
            outcome = run_k6(settings, tmp_path / "summary.json", tmp_path / "k6.log", cores=None)
    finally:
        holder.close()
    assert outcome.metric("http_reqs", "count") > 0
    assert "Error from API server" not in (tmp_path / "k6.log").read_text()
