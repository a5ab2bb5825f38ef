"""The process-tree collector follows only the service's own tree, counts reaped workers' CPU, and never lists
every process on the host."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from service_common import process_tree

# A parent that starts two children, one of which starts a grandchild; all sleep until killed.
TREE = """
import subprocess, sys, time
sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
nested = [sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen(%r); time.sleep(60)" % (sleeper,)]
children = [subprocess.Popen(sleeper), subprocess.Popen(nested)]
print("ready", flush=True)
time.sleep(60)
"""


@pytest.fixture
def family() -> subprocess.Popen[str]:
    parent = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 10
    while len(psutil.Process(parent.pid).children(recursive=True)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    yield parent
    os.killpg(parent.pid, 9)
    parent.wait()


def test_the_tree_is_the_same_as_psutils_full_scan(family: subprocess.Popen[str]) -> None:
    expected = {family.pid, *(p.pid for p in psutil.Process(family.pid).children(recursive=True))}
    assert len(expected) == 4
    assert set(process_tree.tree(family.pid)) == expected


def test_totals_match_psutil(family: subprocess.Popen[str]) -> None:
    totals = process_tree.measure(family.pid, pss_every=0)
    assert totals is not None and totals.processes == 4
    processes = [psutil.Process(pid) for pid in process_tree.tree(family.pid)]
    rss = sum(p.memory_info().rss for p in processes)
    assert abs(totals.rss_bytes - rss) / rss < 0.05
    assert 0 < totals.pss_bytes <= totals.rss_bytes


def test_reaped_children_cpu_counts_through_the_root() -> None:
    """A worker that burned CPU and exited still counts: the root's reaped-children times include it."""
    burn = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'sum(range(30_000_000))']); print(1, flush=True); input()"
    root = subprocess.Popen([sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert root.stdout is not None and root.stdout.readline().strip() == "1"
    totals = process_tree.measure(root.pid)
    root.communicate("\n", timeout=10)
    assert totals is not None and totals.processes == 1
    assert totals.cpu_seconds >= 0.3  # summing 30 million integers takes well over 0.3 s of CPU


def test_a_scrape_does_not_list_every_process(monkeypatch: pytest.MonkeyPatch, family: subprocess.Popen[str]) -> None:
    """Seeded fault: listing /proc (what psutil's recursive children does) fails the test."""
    real_listdir = os.listdir

    def listdir(path: str | os.PathLike[str] = ".") -> list[str]:
        assert str(path).rstrip("/") != "/proc", "the collector listed every process on the host"
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", listdir)
    monkeypatch.setattr(psutil, "process_iter", lambda *a, **k: pytest.fail("psutil scanned the host"))
    monkeypatch.setattr(psutil, "pids", lambda: pytest.fail("psutil listed every pid"))
    assert process_tree.measure(family.pid, pss_every=0) is not None


def test_a_gone_root_is_none() -> None:
    done = subprocess.run([sys.executable, "-c", "pass"])
    assert done.returncode == 0
    assert process_tree.measure(2**22 + 12345) is None
