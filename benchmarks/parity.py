"""Parity: each service against the smallest app of its framework on the same stock server, and behind nginx.

For each framework's default profile (FastAPI on uvicorn, Flask and Django on gunicorn's sync worker), one
worker on the first core, k6 on the other, the `json` workload, measured side by side in alternating shuffled
rounds (benchmarks/side_by_side.py):

- `minimal`: the framework's tutorial app (benchmarks/minimal_apps/) under the same profile, no instrumentation;
- `service, off`: the observatory's service with instrumentation off (its routing, error handling, middleware);
- `service, metrics`: the same with metrics on, as a run measures it;
- `behind nginx`: the service with metrics, nginx in front on the same core (observatory/run/proxy.py).

Ratios are taken within the run only: the machine may be shared, and only side-by-side figures mean anything.

    .venv/bin/python benchmarks/parity.py                       # about 8 minutes on 2 cores
    .venv/bin/python benchmarks/parity.py --frameworks flask --repeats 5
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path

from common import listed, measured, service_and_load_cores, shuffle_seed
from rich.console import Console
from rich.table import Table
from side_by_side import Served, Variant, add_arguments, measure_rounds, median_and_spread

from observatory.run.environment import cpu_model, package_versions
from observatory.run.plan import DEFAULT_PROFILES
from observatory.run.proxy import ProxiedService
from observatory.run.service import ServiceProcess
from service_common.profiles import Profile, find_profile

MINIMAL_APPS = Path(__file__).resolve().parent / "minimal_apps"
MINIMAL = {
    "fastapi": "minimal_fastapi:app",
    "flask": "minimal_flask:app",
    "django": "minimal_django:application",
}
VARIANTS = ("minimal", "service, off", "service, metrics", "behind nginx")


def starter(
    profile: Profile, instrumentation: str, cores: list[int], *, minimal: bool = False, nginx: bool = False
) -> Callable[[Path], AbstractContextManager[Served]]:
    def start(work: Path) -> AbstractContextManager[Served]:
        env = {"PYTHONPATH": str(MINIMAL_APPS)} if minimal else {}
        service = ServiceProcess(profile, work, workers=1, cores=cores, instrumentation=instrumentation, env=env)
        return ProxiedService(service, work / "nginx", cores=cores) if nginx else service

    return start


def variants(framework: str, cores: list[int]) -> list[Variant]:
    profile = find_profile(framework, DEFAULT_PROFILES[framework])
    minimal = replace(profile, app=MINIMAL[framework], init=None)
    group = profile.key
    return [
        Variant(group, "minimal", starter(minimal, "off", cores, minimal=True)),
        Variant(group, "service, off", starter(profile, "off", cores)),
        Variant(group, "service, metrics", starter(profile, "metrics", cores)),
        Variant(group, "behind nginx", starter(profile, "metrics", cores, nginx=True)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frameworks", default=",".join(MINIMAL), help="comma-separated, from: %(default)s")
    add_arguments(parser)
    args = parser.parse_args()
    frameworks = listed(args.frameworks)
    if any(f not in MINIMAL for f in frameworks) or args.repeats < 1:
        parser.error(f"--frameworks from {', '.join(MINIMAL)}; --repeats at least 1")
    args.service_cores, args.load_cores = service_and_load_cores(parser)
    args.seed = shuffle_seed(args.seed)
    console = Console() if Console().is_terminal else Console(width=140)
    versions = ", ".join(f"{name} {version}" for name, version in package_versions().items() if version)
    console.print(f"{cpu_model()}; Python {sys.version.split()[0]}; {versions}")
    console.print(
        f"service (and nginx) on core {args.service_cores}, k6 on {args.load_cores}; {args.repeats} round(s), "
        f"{args.duration:g} s per trial, {args.vus} VUs, {args.workload}, seed {args.seed}"
    )
    chosen = [v for f in frameworks for v in variants(f, args.service_cores)]
    rates: dict[tuple[str, str], list[float]] = {}

    def run() -> None:
        rates.update(measure_rounds(chosen, args, console))

    code = measured(console, run)
    if code:
        return code
    table = Table(title=f"Parity, {args.workload} req/s (median of rounds) and the ratio to the minimal app")
    table.add_column("profile")
    for name in VARIANTS:
        table.add_column(name, justify="right")
    table.add_column("nginx / direct", justify="right")
    table.add_column("spread", justify="right")
    for group in dict.fromkeys(v.group for v in chosen):
        medians, spread = {}, 0.0
        for name in VARIANTS:
            medians[name], half = median_and_spread(rates[(group, name)])
            spread = max(spread, half)
        base = medians["minimal"]
        cells = [f"{medians[n]:,.0f}" + ("" if n == "minimal" else f" ({medians[n] / base:.2f})") for n in VARIANTS]
        proxy = medians["behind nginx"] / medians["service, metrics"]
        table.add_row(group, *cells, f"{proxy:.2f}", f"±{spread:.0%}")
    table.caption = "spread: largest half-range over rounds relative to the median, of any variant"
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
