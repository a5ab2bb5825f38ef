"""`observatory noise`: make this machine a noisy host, reproducibly, on the service cores (observatory/noise.py)."""

from __future__ import annotations

import argparse
import time


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `noise` command."""
    command = commands.add_parser(
        "noise",
        help="run the seeded noise injector on the service cores (a noisy host on any machine)",
        description="Start a real-time (SCHED_FIFO) hog on each core a run pins the services to: it steals a share of "
        "the core that switches between 0 %% and 40 %% at random intervals of 2-30 s, and takes the whole core for "
        "50-300 ms about 3 times a minute, all drawn from --seed (the same seed, the same schedule). It stops after "
        "--duration seconds or on Ctrl-C. `observatory run --inject-noise SEED` runs the same injector during a run. "
        "Needs root or CAP_SYS_NICE.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    command.add_argument("--seed", type=int, default=1, help="the schedule's seed")
    command.add_argument("--duration", type=float, default=60.0, help="seconds (at most 4 hours)")
    command.add_argument("--show", action="store_true", help="print the schedule and exit, injecting nothing")
    command.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the schedule, then run it (unless --show)."""
    from pathlib import Path
    from tempfile import TemporaryDirectory

    from observatory.noise import Noise, schedule
    from observatory.run.plan import pin_cores

    plan = schedule(args.seed, args.duration)
    cores = pin_cores().service
    phases = ", ".join(f"{start:g} s: {share:.0%}" for start, share in plan.phases)
    stalls = ", ".join(f"{at:g} s: {ms:.0f} ms" for at, ms in plan.stalls) or "none"
    print(f"noise seed {args.seed} on core(s) {','.join(map(str, cores))}, {plan.duration_s:g} s\n"
          f"  share stolen from: {phases}\n  stalls at: {stalls}")  # fmt: skip
    if args.show:
        return 0
    with TemporaryDirectory(prefix="observatory-noise-") as folder, Noise(plan, cores, Path(folder)) as noise:
        assert noise.epoch is not None
        while time.monotonic() < noise.epoch + plan.duration_s:
            time.sleep(0.2)
    return 0
