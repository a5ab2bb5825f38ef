"""Stock servers against the server layers the project used to patch them with (issue 22): req/s side by side.

Until issue 22 every profile ran on the project's own server layers (`service_common.gunicorn_workers`,
`service_common.uvicorn_protocol`, `service_common.uvicorn_worker`, and Django's ASGI `ConcurrencyLimit`). This
measures each profile as it was ("patched") against the same service on the stock server class ("stock"): uvicorn
`--http httptools`, gunicorn's own `sync` and `gthread` workers, uvicorn's worker class for gunicorn, and Django's
own ASGI application. It needs the tree from before those layers were deleted (commit 7225dd5 or any before issue
22's deletion): check it out in a scratch worktree and run it there. One worker on the first core, k6 on the other,
metrics on as in a run, the `json` workload, alternating shuffled rounds.

    .venv/bin/python benchmarks/stock_vs_patched.py                 # about 12 minutes on 2 cores
    .venv/bin/python benchmarks/stock_vs_patched.py --profiles flask/gunicorn-sync --repeats 5
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
from observatory.run.service import ServiceProcess
from service_common.profiles import Profile, all_profiles

STOCK_WORKER = {
    "gunicorn_sync.conf.py": "sync",
    "gunicorn_gthread.conf.py": "gthread",
    "gunicorn_uvicorn.conf.py": "uvicorn.workers.UvicornWorker",
}


def stock(profile: Profile) -> tuple[Profile, dict[str, str]]:
    """The same profile on the stock server class (gunicorn's command line wins over its config file)."""
    if profile.server == "gunicorn":
        return replace(profile, options=("--worker-class", STOCK_WORKER[profile.config or ""])), {}
    if profile.framework == "django":  # Django's own ASGI handler, without the ConcurrencyLimit wrapper
        options = ("--loop", "uvloop", "--http", "httptools", "--factory")
        return replace(profile, app="django.core.asgi:get_asgi_application", options=options), {
            "DJANGO_SETTINGS_MODULE": "django_service.settings"
        }
    return replace(profile, options=("--loop", "uvloop", "--http", "httptools")), {}


def starter(
    profile: Profile, env: dict[str, str], cores: list[int]
) -> Callable[[Path], AbstractContextManager[Served]]:
    def start(work: Path) -> AbstractContextManager[Served]:
        return ServiceProcess(profile, work, workers=1, cores=cores, instrumentation="metrics", env=env)

    return start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    keys = [p.key for p in all_profiles()]
    parser.add_argument("--profiles", default=",".join(keys), help="comma-separated, from: %(default)s")
    add_arguments(parser)
    args = parser.parse_args()
    chosen = listed(args.profiles)
    if any(key not in keys for key in chosen) or args.repeats < 1:
        parser.error(f"--profiles from {keys}; --repeats at least 1")
    args.service_cores, args.load_cores = service_and_load_cores(parser)
    args.seed = shuffle_seed(args.seed)
    profiles = [p for p in all_profiles() if p.key in chosen]
    variants = []
    for profile in profiles:
        variants.append(Variant(profile.key, "patched", starter(profile, {}, args.service_cores)))
        plain, env = stock(profile)
        variants.append(Variant(profile.key, "stock", starter(plain, env, args.service_cores)))
    console = Console() if Console().is_terminal else Console(width=132)
    versions = ", ".join(f"{name} {version}" for name, version in package_versions().items() if version)
    console.print(f"{cpu_model()}; Python {sys.version.split()[0]}; {versions}")
    console.print(
        f"service on core {args.service_cores}, k6 on {args.load_cores}; {args.repeats} round(s), "
        f"{args.duration:g} s per trial, {args.vus} VUs, {args.workload}, seed {args.seed}"
    )
    rates: dict[tuple[str, str], list[float]] = {}

    def run() -> None:
        rates.update(measure_rounds(variants, args, console))

    code = measured(console, run)
    if code:
        return code
    table = Table(title=f"Stock server vs the old patched layer: {args.workload} req/s (median of rounds)")
    for column in ("profile", "patched", "stock", "stock / patched", "spread"):
        table.add_column(column, justify="left" if column == "profile" else "right")
    for profile in profiles:
        patched, spread_p = median_and_spread(rates[(profile.key, "patched")])
        stock_rate, spread_s = median_and_spread(rates[(profile.key, "stock")])
        table.add_row(
            profile.key,
            f"{patched:,.0f}",
            f"{stock_rate:,.0f}",
            f"{stock_rate / patched:.2f}",
            f"±{max(spread_p, spread_s):.0%}",
        )
    table.caption = "spread: largest half-range over rounds relative to the median, of either variant"
    console.print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
