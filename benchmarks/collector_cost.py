"""What the service's process-tree collector costs per scrape, and as a share of the service's CPU at capacity.

The collector runs inside the service on every scrape (every SCRAPE_INTERVAL_SECONDS). This starts a real
service (pinned to the first core), measures the collector's CPU per call on its tree, beside the former way
(psutil's `children(recursive=True)`, which lists every process on the host, and `memory_full_info`), then
saturates the service with k6 (pinned to the other core) to find the service's own CPU per second at capacity.

    .venv/bin/python benchmarks/collector_cost.py                       # about a minute
    .venv/bin/python benchmarks/collector_cost.py --framework django --workers 4 --calls 200

Target: the collector's share of the service's CPU at capacity is under 1 %.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from observatory.errors import ObservatoryError
from observatory.run.k6 import K6Settings, run_k6
from observatory.run.prometheus import SCRAPE_INTERVAL_SECONDS
from observatory.run.service import ServiceProcess
from service_common import process_tree
from service_common.profiles import find_profile

PROFILES = {"fastapi": "uvicorn", "flask": "gunicorn-sync", "django": "gunicorn-sync"}


def psutil_tree(root: int) -> tuple[float, int]:
    """The former collector: every process on the host is listed to find the tree, then each is read."""
    parent = psutil.Process(root)
    cpu, pss = 0.0, 0
    for process in [parent, *parent.children(recursive=True)]:
        with process.oneshot():
            times = process.cpu_times()
            pss += process.memory_full_info().pss
        cpu += times.user + times.system
    return cpu, pss


def cpu_per_call(work: Callable[[], object], calls: int) -> float:
    """CPU seconds of this process per call of `work`."""
    work()
    start = time.process_time()
    for _ in range(calls):
        work()
    return (time.process_time() - start) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--framework", choices=sorted(PROFILES), default="flask")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--calls", type=int, default=400, help="collector calls to time (default 400)")
    parser.add_argument("--load-seconds", type=float, default=8.0, help="k6 run to saturate the service")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    service_cores, k6_cores = cores[:1], cores[1:] or cores[:1]
    profile = find_profile(args.framework, PROFILES[args.framework])
    with (
        tempfile.TemporaryDirectory() as folder,
        ServiceProcess(
            profile, Path(folder) / "svc", workers=args.workers, cores=service_cores, instrumentation="metrics"
        ) as service,
    ):
        root = service.pid
        processes = len(psutil.pids())
        new = cpu_per_call(lambda: process_tree.measure(root), args.calls)
        old = cpu_per_call(lambda: psutil_tree(root), args.calls)
        before, started = process_tree.measure(root), time.monotonic()
        assert before is not None
        settings = K6Settings(
            base_url=service.url, workload="json", scenario="sweep", testid="collector-cost", run_id="collector-cost",
            framework=args.framework, profile=profile.name, duration_s=args.load_seconds, vus=32,
        )  # fmt: skip
        outcome = run_k6(settings, Path(folder) / "k6.json", Path(folder) / "k6.log", cores=k6_cores)
        after, ended = process_tree.measure(root), time.monotonic()
        assert after is not None
    service_cpu_per_s = (after.cpu_seconds - before.cpu_seconds) / (ended - started)
    scrapes_per_s = 1 / SCRAPE_INTERVAL_SECONDS
    rate = outcome.metric("http_reqs", "count") / args.load_seconds
    print(f"{args.framework}/{profile.name}, {args.workers} worker(s), {before.processes} process(es) in its tree; "
          f"{processes} processes on the host; scrapes every {SCRAPE_INTERVAL_SECONDS:g} s")  # fmt: skip
    print(f"service at capacity (k6 closed model, 32 VUs): {rate:,.0f} req/s, {service_cpu_per_s:.2f} CPU s/s "
          "(includes the scrapes it answered)")  # fmt: skip
    for name, cost in (("/proc tree walk (now)", new), ("psutil recursive children (before)", old)):
        share = cost * scrapes_per_s / service_cpu_per_s if service_cpu_per_s else float("nan")
        print(f"  {name:<36} {cost * 1e3:7.3f} ms CPU per scrape = {share:7.3%} of the service's CPU at capacity")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ObservatoryError as error:
        sys.exit(f"collector_cost: error: {error}")
