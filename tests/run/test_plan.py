"""Blocks run in shuffled order, baselines skip database workloads, and cores are split between service and k6."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from observatory.judging import Slo
from observatory.run.plan import RunOptions, blocks, pin_cores
from observatory.run.sizes import SIZES
from observatory.workloads import parse_workloads
from service_common.profiles import find_profile


def options(repeats: int = 3) -> RunOptions:
    return RunOptions(
        profiles=[
            find_profile("fastapi", "uvicorn"),
            find_profile("flask", "gunicorn-sync"),
            find_profile("baseline-asgi", "uvicorn"),
        ],
        workloads=parse_workloads("json,db,io"),
        size=SIZES["tiny"],
        repeats=repeats,
        workers=[1, 2],
        slo=Slo(),
        output=Path("results"),
    )


def test_every_block_is_planned_once_per_repeat() -> None:
    planned = blocks(options(), random.Random(1))
    # 2 frameworks x 3 workloads + the baseline's 2 database-free workloads, at 2 worker counts, 3 repeats
    assert len(planned) == (2 * 3 + 2) * 2 * 3
    assert not any(b.profile.framework == "baseline-asgi" and b.workload.needs_database for b in planned)


def test_order_is_shuffled_between_repeats_and_seeds() -> None:
    first = [(b.service_key, b.workload.name) for b in blocks(options(), random.Random(1)) if b.repeat == 1]
    second = [(b.service_key, b.workload.name) for b in blocks(options(), random.Random(1)) if b.repeat == 2]
    other_seed = [(b.service_key, b.workload.name) for b in blocks(options(), random.Random(2)) if b.repeat == 1]
    assert sorted(first) == sorted(second)
    assert first != second or first != other_seed


def test_a_configuration_runs_its_blocks_together_within_a_repeat() -> None:
    planned = [b for b in blocks(options(), random.Random(3)) if b.repeat == 1]
    keys = [(b.profile.key, b.workers) for b in planned]
    changes = sum(1 for a, b in itertools.pairwise(keys) if a != b)
    assert changes == len(set(keys)) - 1


def test_every_block_gets_a_fresh_service_so_peak_memory_does_not_depend_on_order() -> None:
    planned = [b for b in blocks(options(), random.Random(3)) if b.repeat == 1]
    keys = [b.service_key for b in planned]
    assert len(set(keys)) == len(keys)


def test_cores_are_split_and_a_single_core_is_shared() -> None:
    assert pin_cores([0, 1]).service == [0] and pin_cores([0, 1]).load == [1]
    assert pin_cores([0, 1, 2, 3]).service == [0, 1]
    assert pin_cores([5]).service == pin_cores([5]).load == [5]
