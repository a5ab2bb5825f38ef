#!/usr/bin/python3
"""An OCI runtime for dockerd on hosts whose capability bounding set lacks capabilities the kernel knows.

Docker 20.10 gives a `--privileged` container every capability the kernel knows. Where the host's own bounding set
lacks one (this project's Firecracker VMs have no CAP_SYS_RESOURCE: `CapBnd: 000001fffeffffff`), runc cannot grant
it and fails with "unable to apply caps: operation not permitted", so kind's privileged nodes cannot start. dockerd
runs this file as its default runtime (`--add-runtime wrap=THIS --default-runtime wrap`): it removes from the OCI
bundle's config.json (create, run) and from `--process` files (exec) every capability this process's own bounding set
lacks, then execs runc with the same arguments. Nothing else is changed; a container never gets fewer capabilities
than the host could give it. Standard library only: dockerd's shim runs it with the system python3.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

RUNC = os.environ.get("OBSERVATORY_RUNC", "/usr/sbin/runc")
# Bit n of a capability mask is CAPS[n] (linux/capability.h).
CAPS = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
]
CAP_SETS = ("bounding", "effective", "inheritable", "permitted", "ambient")
# runc's global options that take a value (the subcommand is the first other word).
GLOBAL_OPTIONS_WITH_VALUE = {"--root", "--log", "--log-format", "--criu", "--rootless"}


def held_capabilities(status: str) -> set[str]:
    """The capability names in the `CapBnd:` mask of a /proc/PID/status text."""
    mask = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("CapBnd:"))
    return {name for bit, name in enumerate(CAPS) if mask >> bit & 1}


def drop_missing(process: dict, held: set[str]) -> set[str]:
    """Remove from an OCI process object's capability sets every name not in `held`; the names removed."""
    removed: set[str] = set()
    capabilities = process.get("capabilities") or {}
    for key in CAP_SETS:
        names = capabilities.get(key)
        if names:
            removed.update(name for name in names if name not in held)
            capabilities[key] = [name for name in names if name in held]
    return removed


def files_to_filter(argv: list[str]) -> list[tuple[Path, bool]]:
    """The OCI files a runc command line reads capabilities from: (path, whether it is a bare process object)."""
    command, options, i = None, {}, 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("-"):
            name, has_value, value = arg.partition("=")
            wants_value = (
                name in GLOBAL_OPTIONS_WITH_VALUE if command is None else name in {"--bundle", "-b", "--process", "-p"}
            )
            if wants_value and not has_value and i + 1 < len(argv):
                value, i = argv[i + 1], i + 1
            if command is not None:
                options[name] = value
        elif command is None:
            command = arg
        i += 1
    if command in ("create", "run"):
        bundle = options.get("--bundle") or options.get("-b") or "."
        return [(Path(bundle) / "config.json", False)]
    if command == "exec" and (process := options.get("--process") or options.get("-p")):
        return [(Path(process), True)]
    return []


def filter_file(path: Path, is_process: bool, held: set[str]) -> set[str]:
    """Rewrite one OCI file without the capabilities `held` lacks (untouched when nothing is missing)."""
    document = json.loads(path.read_text())
    removed = drop_missing(document if is_process else document.get("process") or {}, held)
    if removed:
        part = path.with_name(path.name + ".wrap")
        part.write_text(json.dumps(document))
        os.chmod(part, path.stat().st_mode & 0o7777)
        os.replace(part, path)
    return removed


def main(argv: list[str]) -> None:
    """Filter the files this runc command reads, then become runc."""
    # RUNTIME_WRAPPER_CAPBND (a hex mask) stands in for this process's bounding set in tests.
    status = f"CapBnd: {os.environ['RUNTIME_WRAPPER_CAPBND']}" if "RUNTIME_WRAPPER_CAPBND" in os.environ else None
    held = held_capabilities(status or Path("/proc/self/status").read_text())
    for path, is_process in files_to_filter(argv):
        if path.is_file():
            filter_file(path, is_process, held)
    os.execv(RUNC, [RUNC, *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
