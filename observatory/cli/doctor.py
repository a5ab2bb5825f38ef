"""`observatory doctor`: is this machine ready to run the observatory, and if not, what to install or change."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `doctor` command."""
    command = commands.add_parser(
        "doctor",
        help="check k6, Prometheus, ports, cores and the tools the tests use; say what to fix",
        description="Check that k6, Prometheus, taskset and the Python packages are installed, that loopback ports "
        "are free and that there are at least 2 cores; also reports helm, Tilt, the control plane, podman and actionlint, "
        "which only the cluster mode and the tests need. Exits 1 when something required is missing.",
    )
    command.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print one line per check; exit 1 when a required one fails."""
    from observatory.doctor import run_checks

    checks = run_checks()
    for check in checks:
        mark = "ok  " if check.ok else ("FAIL" if check.required else "warn")
        line = f"{mark} {check.name}: {check.detail}"
        if not check.ok and check.fix:
            line += f" -> {check.fix}"
        print(line)
    failed = [c.name for c in checks if c.required and not c.ok]
    if failed:
        print(f"missing: {', '.join(failed)}")
        return 1
    print("ready: run `observatory run`")
    return 0
