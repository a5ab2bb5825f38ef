"""No process of the control plane outlives its owner: not after Ctrl-C (the `with` block stops them), not after the
test process is killed outright (each child gets SIGKILL with its parent, PR_SET_PDEATHSIG)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.controlplane.controlplane import BINARIES, ROOT, ControlPlane, ControlPlaneError, missing_binaries

# The owner handles Ctrl-C as pytest in a terminal does, whatever the suite's own parent did with SIGINT: a suite
# started as a script's background job inherits SIGINT ignored, Python keeps it ignored, and the owner would sleep on.
CHILD = """
import signal, sys, time
from pathlib import Path
from tests.controlplane.controlplane import ControlPlane
signal.signal(signal.SIGINT, signal.default_int_handler)
work = Path(sys.argv[1])
with ControlPlane(work) as cp:
    print(" ".join(map(str, cp.pids())), flush=True)
    time.sleep(600)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead, only not yet reaped by its parent
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_no_process_survives_its_owner(tmp_path: Path, how: signal.Signals) -> None:
    """Waits for events, not for durations: the owner's exit, then every component's. After Ctrl-C the owner's
    `with` block stops each component (SIGTERM, SIGKILL after STOP_GRACE_S) and says how in stop.log; killed
    outright, it stops nothing and PR_SET_PDEATHSIG kills them. How long that took is printed (pytest -s), never
    asserted: on a loaded machine it is the machine's speed."""
    assert not missing_binaries(), "run `make controlplane`"
    owner = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        line = owner.stdout.readline()
        pids = [int(p) for p in line.split()]
        assert len(pids) == 5, f"the control plane did not start: {line!r}"
        assert all(alive(pid) for pid in pids)
        signalled = time.monotonic()
        owner.send_signal(how)
        owner.wait()  # bounded by pytest's timeout
        exited = time.monotonic()
        while any(alive(pid) for pid in pids):
            time.sleep(0.2)
        stop_log = tmp_path / "stop.log"
        stopped = stop_log.read_text() if stop_log.exists() else ""
        print(f"{how.name}: owner exited {exited - signalled:.1f} s after the signal, components gone "
              f"{time.monotonic() - signalled:.1f} s after it; {stopped or 'no stop.log'}")  # fmt: skip
        if how == signal.SIGINT:
            names = [entry.split(":")[0] for entry in stopped.splitlines()]
            assert sorted(names) == sorted(set(BINARIES) - {"kubectl"}), stopped  # every running component
        else:
            assert stopped == "", "a killed owner cannot have stopped anything: PR_SET_PDEATHSIG did"
    finally:
        owner.kill()
        owner.wait()


def test_a_missing_binary_fails_with_the_command_that_builds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeded fault: an empty .tools/bin. The control plane refuses to start and names `make controlplane`."""
    assert missing_binaries(tmp_path) == list(BINARIES)
    monkeypatch.setattr("tests.controlplane.controlplane.BIN", tmp_path)
    with pytest.raises(ControlPlaneError, match=r"etcd, kube-apiserver.*run `make controlplane`"):
        ControlPlane(tmp_path / "work").__enter__()
