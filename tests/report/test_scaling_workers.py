"""Local worker sweeps: `auto` follows the services' pinned cores, and counts above them are refused in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from observatory.run.plan import pin_cores, worker_counts

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("service_cores", "expected"), [(1, [1]), (2, [1, 2]), (3, [1, 2]), (4, [1, 2, 4]), (8, [1, 2, 4, 8])]
)
def test_auto_runs_every_power_of_two_the_service_cores_allow(service_cores: int, expected: list[int]) -> None:
    assert worker_counts("auto", service_cores, 2 * service_cores) == expected


def test_counts_within_the_service_cores_are_kept() -> None:
    assert worker_counts([2, 1, 2], 2, 4) == [1, 2]


def test_counts_above_the_service_cores_are_refused_with_what_to_do() -> None:
    with pytest.raises(
        ValueError, match=r"--workers 2 exceeds the 1 core\(s\) pinned to the services on this 2-core"
    ) as error:
        worker_counts([1, 2], 1, 2)
    assert "use --workers 1 here, or run on a machine with 4 or more cores" in str(error.value)


def test_the_service_and_the_generator_never_share_a_core() -> None:
    pinning = pin_cores([0, 1, 2, 3])
    assert not set(pinning.service) & set(pinning.load) and len(pinning.service) == 2


def test_cli_refuses_in_one_line_before_starting_anything() -> None:
    too_many = 2 * len(os.sched_getaffinity(0))
    done = subprocess.run([sys.executable, "-m", "observatory.cli.main", "run", "--workers", f"1,{too_many}"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)  # fmt: skip
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"observatory: error: --workers {too_many} exceeds the ")


def test_the_default_run_draws_the_curve_wherever_the_cores_allow() -> None:
    from observatory.cli.main import parser

    assert parser().parse_args(["run"]).workers == "auto"
