"""`observatory doctor`: which of the three sets of tools this machine has (a local run, the tests, the cluster), and
what to install or change for the rest."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `doctor` command."""
    command = commands.add_parser(
        "doctor",
        help="say which sets of tools are present (local run, tests, cluster) and what to fix",
        description="Check the tools and conditions of three sets: a local run (the Python packages, k6, Prometheus, "
        "taskset, nginx, at least 2 cores, free loopback ports; `make quickstart` installs it), the tests (promtool, "
        "Chromium, PostgreSQL, podman, helm, Tilt, the control plane...; `make setup`) and the kind cluster "
        "(charts/README.md). Prints one line per check and one per set. Exits 1 when the local run's set is "
        "incomplete; the other two only report.",
    )
    command.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print one line per check, grouped by set, then one line per set; exit 1 when the local run's set is not there."""
    from observatory.doctor import SETS, run_checks, set_summary

    checks = run_checks()
    for name in SETS:
        print(f"{name}:")
        for check in (c for c in checks if c.needed_by == name):
            mark = "ok  " if check.ok else ("FAIL" if check.required else "warn")
            line = f"  {mark} {check.name}: {check.detail}"
            if not check.ok and check.fix:
                line += f" -> {check.fix}"
            print(line)
    for name, missing in set_summary(checks).items():
        state = "present" if not missing else f"missing {', '.join(missing)} ({SETS[name]})"
        print(f"{name} set: {state}")
    failed = [c.name for c in checks if c.required and not c.ok]
    if failed:
        print(f"missing: {', '.join(failed)}")
        return 1
    print("ready: run `observatory run`")
    return 0
