"""The locks match their inputs: every lock records the digest of the requirements it was compiled from, pins what
they pin, and has hashes for every package (tools/lock.py; `make lock` regenerates)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("lock_tool", ROOT / "tools" / "lock.py")
assert spec and spec.loader
lock_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock_tool)
LOCKS = lock_tool.locks(ROOT)


@pytest.mark.parametrize("lock", sorted(LOCKS), ids=str)
def test_lock_matches_its_inputs(lock: str) -> None:
    assert lock_tool.problems(ROOT, lock, LOCKS[lock]) == []


def test_every_service_image_installs_from_its_lock() -> None:
    for name in lock_tool.SERVICES:
        dockerfile = (ROOT / "services" / name / "Dockerfile").read_text()
        assert f"COPY services/{name}/requirements.lock" in dockerfile, name
        assert "--require-hashes" in dockerfile and "requirements.txt" not in dockerfile, name


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The lock inputs and locks, copied, to seed faults in."""
    for rel in {*LOCKS, *(i for inputs in LOCKS.values() for i in inputs)}:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    return tmp_path


def test_a_changed_input_makes_its_locks_stale(copy: Path) -> None:
    flask = copy / "services" / "flask" / "requirements.txt"
    flask.write_text(flask.read_text().replace("flask==", "flask==0.0.1\n# was flask=="))
    stale = {lock for lock, inputs in LOCKS.items() if lock_tool.problems(copy, lock, inputs)}
    assert stale == {"requirements.lock", "services/flask/requirements.lock"}
    found = lock_tool.problems(copy, "services/flask/requirements.lock", LOCKS["services/flask/requirements.lock"])
    assert any("stale" in p for p in found) and any("flask==0.0.1" in p or "asks for 0.0.1" in p for p in found)


def test_a_hand_edited_pin_or_a_missing_hash_is_caught(copy: Path) -> None:
    lock = copy / "services" / "django" / "requirements.lock"
    text = lock.read_text()
    pinned = lock_tool.pins(text)["django"]
    lock.write_text(text.replace(f"django=={pinned}", "django==1.0"))
    assert any(
        "asks for" in p
        for p in lock_tool.problems(
            copy, "services/django/requirements.lock", LOCKS["services/django/requirements.lock"]
        )
    )

    lock.write_text(text.replace("--hash=sha256:", "--hash=md5:"))
    found = lock_tool.problems(copy, "services/django/requirements.lock", LOCKS["services/django/requirements.lock"])
    assert any("without hashes" in p for p in found), found


def test_the_run_lock_is_the_harness_locks_entries_a_run_needs() -> None:
    """No test tool in what `make quickstart` installs; the frameworks, servers and the build backend are there."""
    run = lock_tool.pins((ROOT / lock_tool.RUN_LOCK).read_text())
    harness = lock_tool.pins((ROOT / lock_tool.HARNESS_LOCK).read_text())
    assert all(harness[name] == version for name, version in run.items())
    assert {"pytest", "mypy", "ruff", "schemathesis", "hypothesis"}.isdisjoint(run)
    assert {"fastapi", "flask", "django", "uvicorn", "gunicorn", "rich", "matplotlib", "setuptools"} <= set(run)
    # a package pinned twice under markers (numpy for Python < 3.12 and >= 3.12) keeps both entries: the first
    # version of the run lock kept only the last one, and matplotlib could not import numpy on 3.11
    run_text = (ROOT / lock_tool.RUN_LOCK).read_text()
    assert run_text.count("\nnumpy==") == (ROOT / lock_tool.HARNESS_LOCK).read_text().count("\nnumpy==") == 2


def test_a_hand_edited_run_lock_is_caught(copy: Path) -> None:
    """Seeded fault: an entry dropped from the run lock (its digest still matches the harness lock)."""
    lock = copy / lock_tool.RUN_LOCK
    text = lock.read_text()
    start = text.index("\nrich==")
    lock.write_text(text[:start] + text[text.index("\n", text.index("# via", start)) :])
    found = lock_tool.problems(copy, lock_tool.RUN_LOCK, LOCKS[lock_tool.RUN_LOCK])
    assert any("not the run's subset" in p for p in found), found
