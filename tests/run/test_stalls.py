"""The host stall meter: real meter processes see a stall injected mid-trial; the stall rule is table-tested."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from observatory.judging.host import stall_bound_ms, stall_reason, stalled
from observatory.judging.slo import Slo
from observatory.judging.trial import judge
from observatory.results import Latency, Trial
from observatory.run.k6 import K6Settings, run_k6
from observatory.run.null_target import KEEP_ALIVE, NullTarget
from observatory.run.stalls import (
    MIN_REFERENCE_REPORTS,
    SPEED_STEP,
    StallMeter,
    WindowStalls,
    bucket,
    read_window,
    reference_work,
    usual_time,
)

# A busy loop at real-time priority on one core for a while: it takes the core from everything else, as a
# hypervisor or a runaway kernel thread would. It ends by itself (it checks the clock, not a signal).
HOG = """
import os, sys, time
os.sched_setaffinity(0, {int(sys.argv[1])})
os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    pass
"""


def hog(core: int, seconds: float) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HOG, str(core), str(seconds)], capture_output=True, text=True, timeout=10
    )
    assert done.returncode == 0, done.stderr


def trial(**fields: object) -> Trial:
    base = Trial("t", "flask", "gunicorn-sync", "json", 1, 1, "constant", 500.0, None, 3.0, "", "")
    base.client_requests = 1500
    base.client_latency = Latency(p50=0.002, p99=0.02)
    for name, value in fields.items():
        setattr(base, name, value)
    return base


@pytest.mark.parametrize(
    ("max_ms", "slo_ms", "stalled"),
    [(49.9, 100, False), (50.0, 100, True), (180.0, 100, True), (180.0, 500, False), (0.0, 100, False)],
)
def test_a_stall_of_half_the_slo_p99_hits_the_trial(max_ms: float, slo_ms: float, stalled: bool) -> None:
    reason = stall_reason({"max_ms": max_ms, "worst_core": 1}, Slo(p99_ms=slo_ms))
    assert (reason is not None) is stalled
    if stalled:
        assert reason == f"host stalled for {max_ms:.0f} ms on core 1 (bound {slo_ms / 2:g} ms, half the SLO's p99)"


def test_a_stalled_trial_stays_valid_and_the_fit_rule_says_why() -> None:
    calm = judge(trial(host_stalls={"max_ms": 12.0, "worst_core": 0}), Slo())
    spoiled = judge(trial(host_stalls={"max_ms": 180.0, "worst_core": 0}), Slo())
    assert calm.valid and spoiled.valid and stalled(calm, Slo()) is None
    assert "host stalled for 180 ms on core 0" in (stalled(spoiled, Slo()) or "")
    assert stall_bound_ms(Slo(p99_ms=100)) == 50


def test_a_window_counts_the_stalls_that_overlap_it(tmp_path: Path) -> None:
    path = tmp_path / "core-0.stalls"
    second = 1_000_000_000
    histogram = ",".join(["90", "9", "1"] + ["0"] * 13)
    path.write_text(
        f"I {10 * second} 100 40 {histogram}\n"
        f"S {10 * second + 50_000_000} 30000\n"  # 30 ms, before the window
        f"S {12 * second + 100_000_000} 200000\n"  # 200 ms ending 0.1 s into the window: began before it, overlaps
        f"S {14 * second} 80000\n"  # 80 ms inside
        f"I {14 * second} 100 80000 {histogram}\n"
        f"S {20 * second} 500000\n"  # after the window
    )
    window = read_window(path, 0, 12.0, 15.0)
    assert window.stalls_ms == (200.0, 80.0)
    assert window.max_ms == 200.0
    assert window.over(100.0) == 1
    assert window.wakeups == 100
    assert window.p99_ms == pytest.approx(0.064)  # the bucket below 64 µs holds the 99th percentile
    assert bucket(0) == 0 and bucket(31) == 0 and bucket(32) == 1 and bucket(64) == 2 and bucket(10**9) == 15


def interval(t_ns: int, work_ns: int | None) -> str:
    histogram = ",".join(["100"] + ["0"] * 15)
    return f"I {t_ns} 100 20 {histogram}" + ("" if work_ns is None else f" {work_ns}") + "\n"


@pytest.mark.parametrize(
    ("fast", "slow", "usual"),
    [(12, 20, 190.0), (20, 12, 110.0), (30, 0, 110.0), (0, 30, 190.0), (5, 10, None)],
    ids=["mostly slow", "mostly fast", "only fast", "only slow", "too few reports"],
)
def test_a_cores_usual_time_is_its_more_frequent_speed(fast: int, slow: int, usual: float | None) -> None:
    times = [110_000 + 1000 * (i % 5) - 2000 for i in range(fast)] + [
        190_000 + 1000 * (i % 5) - 2000 for i in range(slow)
    ]
    assert usual_time(times) == (None if usual is None else usual * 1000)
    assert MIN_REFERENCE_REPORTS == 20 and SPEED_STEP == 1.25


def test_a_window_reads_the_cores_speed_against_its_usual_one(tmp_path: Path) -> None:
    """30 reports at 190 µs, then a window of reports at 110 µs: 0.58 times the usual time; reports after the window's
    end do not count, and a meter of the earlier format (no reference work) still reads, without a speed."""
    path = tmp_path / "core-0.stalls"
    tenth = 100_000_000
    lines = [interval(i * tenth, 190_000) for i in range(1, 31)]
    lines += [interval(i * tenth, 110_000) for i in range(31, 41)]
    lines += [interval(i * tenth, 110_000) for i in range(42, 200)]  # later, fast for long: not yet known at the window
    path.write_text("".join(lines))
    window = read_window(path, 0, 3.05, 4.0)
    assert window.work_us == 110.0 and window.usual_work_us == 190.0
    assert window.speed_ratio == pytest.approx(110 / 190) and window.off_speed == pytest.approx(190 / 110)
    as_dict = WindowStalls(3.05, 4.0, (window,)).as_dict(50.0)
    assert as_dict["speed_ratio"] == pytest.approx(0.579, abs=1e-3) and as_dict["speed_core"] == 0
    later = read_window(path, 0, 15.05, 16.0)  # by then the fast speed is the usual one
    assert later.usual_work_us == 110.0 and later.speed_ratio == pytest.approx(1.0)
    early = read_window(path, 0, 0.5, 1.0)  # too few reports before it to know the core's usual speed
    assert early.work_us == 190.0 and early.usual_work_us is None and early.speed_ratio is None
    old = tmp_path / "old.stalls"
    old.write_text("".join(interval(i * tenth, None) for i in range(1, 40)))
    legacy = read_window(old, 0, 1.0, 3.0)
    assert legacy.wakeups > 0 and legacy.work_us is None and legacy.speed_ratio is None


def test_the_reference_work_times_the_work_done() -> None:
    """Twice the rounds take about twice the CPU time (interleaved, medians): the meter times work, not the clock."""
    single, double = [], []
    for _ in range(40):
        single.append(reference_work(3000))
        double.append(reference_work(6000))
    ratio = sorted(double)[20] / sorted(single)[20]
    assert 1.6 <= ratio <= 2.5, ratio


def test_real_meters_report_each_cores_speed(tmp_path: Path) -> None:
    cores = sorted(os.sched_getaffinity(0))
    with StallMeter(cores, tmp_path / "stalls") as meter:
        time.sleep(0.1 * MIN_REFERENCE_REPORTS + 0.5)
        ended = time.monotonic()
        window = meter.window(ended - 0.5, ended)
    for core in window.cores:
        assert core.work_us is not None and 20 <= core.work_us <= 5000, core
        assert core.usual_work_us is not None and 20 <= core.usual_work_us <= 5000, core
    assert window.as_dict(50.0)["speed_ratio"] is not None


def test_a_stall_injected_mid_trial_is_detected(tmp_path: Path) -> None:
    """k6 runs a trial against nginx on core 0 while a real-time hog takes core 0 for 200 ms mid-trial."""
    cores = sorted(os.sched_getaffinity(0))
    service_core, k6_core = cores[0], cores[-1]
    with StallMeter(cores, tmp_path / "stalls") as meter, NullTarget(tmp_path / "nginx", KEEP_ALIVE, cores=[service_core]) as target:  # fmt: skip
        settings = K6Settings(target.url, "json", "constant", "stall", "stall", "null", "nginx", duration_s=3.0,
                              rate=200, pre_vus=100, max_vus=100, warmup_s=1.0)  # fmt: skip
        injector = subprocess.Popen(
            [sys.executable, "-c", f"import time; time.sleep(2.2)\n{HOG}", str(service_core), "0.2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        outcome = run_k6(settings, tmp_path / "summary.json", tmp_path / "k6.log", cores=[k6_core])
        ended = time.monotonic()
        assert injector.wait(timeout=10) == 0, injector.stderr.read() if injector.stderr else ""
        window = meter.window(ended - settings.duration_s, ended)
    by_core = {c.core: c for c in window.cores}
    assert by_core[service_core].max_ms >= 150, window.as_dict(50)
    assert window.max_ms >= 150
    stalls = window.as_dict(stall_bound_ms(Slo()))
    assert stalls["over_bound"] >= 1
    assert stall_reason(stalls, Slo()) is not None
    # The measured window's arrivals only (3 s at 200/s), sent or dropped; the warm-up's 200 are apart.
    assert 540 <= outcome.metric("http_reqs", "count") + outcome.metric("dropped_iterations", "count") <= 610
    assert 180 <= outcome.warmup_requests <= 210


@contextmanager
def settled_meter(directory: Path) -> Iterator[StallMeter]:
    """A meter on the first core, past its start-up."""
    with StallMeter([sorted(os.sched_getaffinity(0))[0]], directory) as meter:
        time.sleep(0.3)
        yield meter


def test_the_meter_sees_its_own_process_stopped(tmp_path: Path) -> None:
    """SIGSTOP on a meter for 200 ms reads as a 200 ms stall of its core (what a frozen VM looks like)."""
    with settled_meter(tmp_path) as meter:
        start = time.monotonic()
        os.kill(meter.pids[0], signal.SIGSTOP)
        time.sleep(0.2)
        os.kill(meter.pids[0], signal.SIGCONT)
        time.sleep(0.3)
        window = meter.window(start, time.monotonic())
    assert 190 <= window.max_ms <= 1000


def test_a_stall_that_outlasts_the_window_is_still_read(tmp_path: Path) -> None:
    """The window ends while its meter is stopped: the reading waits for the meter's next report, which carries the
    whole stall. A fixed wait after the window's end (the former 0.2 s) read the window as calm."""
    with settled_meter(tmp_path) as meter:
        start = time.monotonic()
        os.kill(meter.pids[0], signal.SIGSTOP)
        time.sleep(0.1)
        end = time.monotonic()
        resume = threading.Timer(0.4, os.kill, (meter.pids[0], signal.SIGCONT))
        resume.start()
        window = meter.window(start, end)
        resume.join()
    assert window.max_ms >= 450, window.as_dict(50)


def test_a_meter_silent_past_the_wait_counts_as_stalled_until_then(tmp_path: Path) -> None:
    with settled_meter(tmp_path) as meter:
        os.kill(meter.pids[0], signal.SIGSTOP)
        try:
            end = time.monotonic()
            window = meter.window(end - 1, end, timeout=0.5)
        finally:
            os.kill(meter.pids[0], signal.SIGCONT)
    assert window.max_ms >= 500 and window.as_dict(50)["over_bound"] >= 1, window.as_dict(50)


def test_a_dead_meter_is_an_error_not_a_calm_window(tmp_path: Path) -> None:
    from observatory.errors import ObservatoryError

    core = sorted(os.sched_getaffinity(0))[0]
    with StallMeter([core], tmp_path) as meter:
        os.kill(meter.pids[0], signal.SIGKILL)
        time.sleep(0.2)
        with pytest.raises(ObservatoryError, match="stall meter"):
            meter.window(time.monotonic() - 1, time.monotonic())


def test_a_window_reads_the_share_of_the_core_left_to_us(tmp_path: Path) -> None:
    """30 reports of 95 wake-ups, then a window of 57 (a 40 % hog): 0.6 of the core; with the core 1.5× slower too,
    0.4 of a usual core. Seeded fault: reading the window's own reports as the usual count would give 1.0."""
    path = tmp_path / "core-0.stalls"
    tenth = 100_000_000
    histogram = ",".join(["100"] + ["0"] * 15)
    lines = [f"I {i * tenth} 95 20 {histogram} 100000\n" for i in range(1, 31)]
    lines += [f"I {i * tenth} 57 4000 {histogram} 150000\n" for i in range(31, 41)]
    path.write_text("".join(lines))
    window = read_window(path, 0, 3.05, 4.0)
    assert window.available == pytest.approx(0.6)
    assert window.host_share == pytest.approx(0.4)
    assert WindowStalls(3.05, 4.0, (window,)).as_dict(50.0)["host_share"] == pytest.approx(0.4)
    assert read_window(path, 0, 0.5, 1.0).available is None  # too few reports yet to know the usual count
