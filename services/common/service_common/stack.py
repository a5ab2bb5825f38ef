"""What a profile runs on, as results.json records it: server and worker class, data layer, validation, JSON, metrics.

The server and worker class are read from the profile files themselves (the uvicorn options, the gunicorn config's
`worker_class`); the data layer, validation and JSON library from the service's `[stack]` table in profiles.toml;
the metrics mode from the worker count (service_common.launch.metrics_mode). tests/services/test_stack.py checks
every entry against the code, so the record cannot drift from what runs.
"""

from __future__ import annotations

import re
from typing import Any

from service_common.launch import metrics_mode
from service_common.profiles import Profile, ProfileError

_WORKER_CLASS = re.compile(r"""^worker_class\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def _option(options: tuple[str, ...], name: str) -> str | None:
    return options[options.index(name) + 1] if name in options and options.index(name) + 1 < len(options) else None


def worker_class(profile: Profile) -> str:
    """The worker class the profile's server runs: gunicorn's `worker_class`, or uvicorn's `--http`/`--loop`."""
    if profile.server == "uvicorn":
        return f"uvicorn (--http {_option(profile.options, '--http')}, --loop {_option(profile.options, '--loop')})"
    if profile.config is None:
        raise ProfileError(f"{profile.key}: a gunicorn profile needs a config file")
    found = _WORKER_CLASS.findall((profile.service_dir / profile.config).read_text(encoding="utf-8"))
    if len(found) != 1:
        raise ProfileError(f"{profile.key}: {profile.config} must set worker_class once")
    return found[0]


def stack_record(profile: Profile, workers: list[int], instrumentation: str) -> dict[str, Any]:
    """The record of one profile for results.json."""
    stack = dict(profile.stack)
    return {
        "server": profile.server,
        "worker_class": worker_class(profile),
        "data_layer": stack.get("data_layer", "unknown"),
        "validation": stack.get("validation", "unknown"),
        "json": stack.get("json", "unknown"),
        "metrics_mode": {str(w): metrics_mode(w, instrumentation) for w in workers},
    }
