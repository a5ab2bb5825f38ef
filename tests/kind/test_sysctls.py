"""The host sysctls: recorded once before a cluster starts, written back after it is deleted (a fake /proc/sys)."""

from __future__ import annotations

from pathlib import Path

import pytest

from observatory.kind import sysctls

HOST = {
    "kernel.panic": "1",
    "kernel.panic_on_oops": "0",
    "vm.overcommit_memory": "0",
    "fs.protected_fifos": "0",
    "fs.protected_hardlinks": "1",
    "fs.protected_regular": "0",
    "fs.protected_symlinks": "0",
}
# What kubelet and the nodes' systemd-sysctl set (../shared/KIND-HERE.md).
AFTER_A_CLUSTER = {
    **HOST,
    "kernel.panic": "10",
    "kernel.panic_on_oops": "1",
    "vm.overcommit_memory": "1",
    "fs.protected_fifos": "1",
}


@pytest.fixture
def proc_sys(tmp_path: Path) -> Path:
    root = tmp_path / "proc-sys"
    set_values(root, HOST)
    return root


def set_values(root: Path, values: dict[str, str]) -> None:
    for name, value in values.items():
        file = root / name.replace(".", "/")
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(value + "\n")


def test_restore_writes_back_what_the_cluster_changed(proc_sys: Path, tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    sysctls.record(record, proc_sys)
    set_values(proc_sys, AFTER_A_CLUSTER)
    changed = sysctls.restore(record, proc_sys)
    assert sysctls.read(proc_sys) == HOST
    assert changed == {
        "kernel.panic": ("10", "1"),
        "kernel.panic_on_oops": ("1", "0"),
        "vm.overcommit_memory": ("1", "0"),
        "fs.protected_fifos": ("1", "0"),
    }
    assert not record.exists()


def test_a_second_record_keeps_the_first(proc_sys: Path, tmp_path: Path) -> None:
    """`make cluster` re-run on a running cluster must not record the values the cluster set."""
    record = tmp_path / "record.json"
    sysctls.record(record, proc_sys)
    set_values(proc_sys, AFTER_A_CLUSTER)
    assert sysctls.record(record, proc_sys) == HOST
    sysctls.restore(record, proc_sys)
    assert sysctls.read(proc_sys) == HOST


def test_restore_without_a_record_changes_nothing(proc_sys: Path, tmp_path: Path) -> None:
    set_values(proc_sys, AFTER_A_CLUSTER)
    assert sysctls.restore(tmp_path / "none.json", proc_sys) == {}
    assert sysctls.read(proc_sys) == AFTER_A_CLUSTER


def test_every_sysctl_kind_changes_is_recorded() -> None:
    assert set(sysctls.NAMES) == set(HOST)
