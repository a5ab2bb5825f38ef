"""The noise injector: a seed's schedule is reproducible, and the host meters see the noise it makes."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from observatory.noise import STALL_MS, SWITCH_S, Noise, Schedule, schedule
from observatory.run.stalls import StallMeter


def test_the_same_seed_draws_the_same_schedule_and_another_seed_another() -> None:
    assert schedule(7, 600) == schedule(7, 600)
    assert schedule(7, 600) != schedule(8, 600)


def test_a_schedule_switches_between_its_levels_at_2_to_30_s_with_stalls_of_50_to_300_ms() -> None:
    plan = schedule(11, 3600)
    starts = [start for start, _ in plan.phases]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(SWITCH_S[0] - 1e-3 <= g <= SWITCH_S[1] + 1e-3 for g in gaps)
    levels = [level for _, level in plan.phases]
    assert set(levels) == {0.0, 0.4} and all(a != b for a, b in itertools.pairwise(levels))
    assert all(STALL_MS[0] <= ms <= STALL_MS[1] for _, ms in plan.stalls)
    assert 120 <= len(plan.stalls) <= 240  # about 3 a minute over an hour (Poisson: 180 ± 4 sd well inside)


def test_share_at_follows_the_phases() -> None:
    plan = Schedule(1, 10.0, ((0.0, 0.0), (4.0, 0.4)))
    assert plan.share_at(3.9) == 0.0 and plan.share_at(4.0) == 0.4 and plan.share_at(10.5) == 0.0
    assert plan.mean_share(2.0, 6.0) == pytest.approx(0.2, abs=0.01)


def test_the_meters_see_the_stolen_share_and_the_stall(tmp_path: Path) -> None:
    """An 80 % phase and a 150 ms stall: under SCHED_FIFO the hog takes its share whatever else runs on the core, so
    the meter's share in the loud window stays below the quiet one's even on a busy machine."""
    core = 0
    plan = Schedule(None, 5.5, ((0.0, 0.0), (2.5, 0.8), (4.0, 0.0)), ((4.5, 150.0),))
    with StallMeter([core], tmp_path / "stalls") as meter, Noise(plan, [core], tmp_path / "noise") as noise:
        assert noise.epoch is not None
        while time.monotonic() < noise.epoch + plan.duration_s:
            time.sleep(0.1)
        quiet = meter.window(noise.epoch + 0.3, noise.epoch + 2.4).cores[0]
        loud = meter.window(noise.epoch + 2.7, noise.epoch + 3.9).cores[0]
        stalled = meter.window(noise.epoch + 4.3, noise.epoch + 5.2)
    assert quiet.host_share is not None and loud.host_share is not None
    assert loud.host_share < 0.4 and loud.host_share < quiet.host_share - 0.2
    assert stalled.max_ms >= 100  # the 150 ms stall, seen as one late wake-up


def test_ctrl_c_stops_every_hog(tmp_path: Path) -> None:
    """`observatory noise` interrupted while its hogs run leaves none behind (each runs in its own session, so the
    terminal's Ctrl-C reaches only the command, which stops them)."""
    import signal
    import subprocess
    import sys

    import psutil

    command = subprocess.Popen(
        [sys.executable, "-m", "observatory.cli.main", "noise", "--seed", "4", "--duration", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def hogs() -> list[psutil.Process]:
        found = []
        for process in psutil.process_iter(["cmdline", "ppid"]):
            if "observatory.noise" in " ".join(process.info["cmdline"] or []) and process.info["ppid"] == command.pid:
                found.append(process)
        return found

    deadline = time.monotonic() + 30
    while not hogs() and command.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    started = hogs()
    assert started, command.communicate(timeout=5)
    command.send_signal(signal.SIGINT)
    _, err = command.communicate(timeout=30)
    assert command.returncode == 130 and "every process started was stopped" in err
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in started)
