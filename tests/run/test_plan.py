"""Slots run in rounds of every block in shuffled order, each with its own hash seed; baselines skip database
workloads, and cores are split between service and k6."""

from __future__ import annotations

import random
from pathlib import Path

from observatory.judging import Slo
from observatory.run.plan import RunOptions, blocks, pin_cores
from observatory.run.run_sizes import SIZES
from observatory.workload_catalog import parse_workloads
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
    first = [b.key for b in blocks(options(), random.Random(1)) if b.repeat == 1]
    second = [b.key for b in blocks(options(), random.Random(1)) if b.repeat == 2]
    other_seed = [b.key for b in blocks(options(), random.Random(2)) if b.repeat == 1]
    assert sorted(first) == sorted(second)
    assert first != second or first != other_seed


def test_every_round_holds_every_block_once_before_the_next_round_starts() -> None:
    planned = blocks(options(), random.Random(3))
    rounds = [b.repeat for b in planned]
    assert rounds == sorted(rounds)  # interleaved: round 2 of any block only after round 1 of every block
    per_round = [sorted(b.key for b in planned if b.repeat == r) for r in (1, 2, 3)]
    assert per_round[0] == per_round[1] == per_round[2] and len(set(per_round[0])) == len(per_round[0])


def test_every_slot_has_its_own_hash_seed_and_a_seed_gives_the_same_plan() -> None:
    planned = blocks(options(), random.Random(3))
    assert len({b.hash_seed for b in planned}) == len(planned)
    assert planned == blocks(options(), random.Random(3))


def test_cores_are_split_and_a_single_core_is_shared() -> None:
    assert pin_cores([0, 1]).service == [0] and pin_cores([0, 1]).load == [1]
    assert pin_cores([0, 1, 2, 3]).service == [0, 1]
    assert pin_cores([5]).service == pin_cores([5]).load == [5]
