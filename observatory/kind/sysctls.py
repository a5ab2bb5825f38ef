"""The host sysctls a kind cluster changes, recorded before it starts and restored after it is deleted.

kind's nodes are privileged containers: kubelet sets kernel.panic (1 → 10), kernel.panic_on_oops (0 → 1) and
vm.overcommit_memory (0 → 1), and the nodes' systemd-sysctl sets fs.protected_*, all kernel-wide, so on the host too.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from observatory.errors import ObservatoryError

NAMES = (
    "kernel.panic",
    "kernel.panic_on_oops",
    "vm.overcommit_memory",
    "fs.protected_fifos",
    "fs.protected_hardlinks",
    "fs.protected_regular",
    "fs.protected_symlinks",
)
PROC_SYS = Path("/proc/sys")


def read(proc_sys: Path = PROC_SYS) -> dict[str, str]:
    """The current value of every sysctl in NAMES."""
    return {name: (proc_sys / name.replace(".", "/")).read_text().strip() for name in NAMES}


def record(path: Path, proc_sys: Path = PROC_SYS) -> dict[str, str]:
    """Record the values in `path`, unless a record is already there (a cluster of ours may have changed them since)."""
    if path.is_file():
        return dict(json.loads(path.read_text()))
    values = read(proc_sys)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(values, indent=1) + "\n")
    part.replace(path)
    return values


def restore(path: Path, proc_sys: Path = PROC_SYS) -> dict[str, tuple[str, str]]:
    """Write back the recorded values and forget the record; `{name: (found, restored)}` for each value changed.

    Without the right to write them (not root) it tries `sudo -n sysctl -w`; failing that, the record stays and the
    error says the command that restores them."""
    if not path.is_file():
        return {}
    recorded: dict[str, str] = json.loads(path.read_text())
    changed, refused = {}, []
    for name, value in recorded.items():
        file = proc_sys / name.replace(".", "/")
        found = file.read_text().strip()
        if found != value:
            try:
                file.write_text(value + "\n")
            except PermissionError:
                # not root (a GitHub runner's user): passwordless sudo where there is one
                done = subprocess.run(
                    ["sudo", "-n", "sysctl", "-q", "-w", f"{name}={value}"], capture_output=True, check=False
                )
                if done.returncode != 0:
                    refused.append(f"{name}={value}")
                    continue
            changed[name] = (found, value)
    if refused:
        raise ObservatoryError(
            f"cluster: the host sysctls could not be restored without root: sudo sysctl -w {' '.join(refused)}"
        )
    path.unlink()
    return changed
