"""Server profiles: how each service is served, one `profiles.toml` beside each service's code.

The container images and the local runner both start a service through its profile, so the
server, worker model and options measured locally are the ones deployed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

SERVICES_ROOT = Path(__file__).resolve().parents[2]


class ProfileError(ValueError):
    """A profile that does not exist or cannot be read."""


@dataclass(frozen=True)
class Profile:
    """One way to serve one service: the server, the app and its options."""

    framework: str
    name: str
    server: str
    app: str
    service_dir: Path
    init: str | None = None
    config: str | None = None
    options: tuple[str, ...] = field(default_factory=tuple)
    routes: str = "all"
    stack: tuple[tuple[str, str], ...] = ()  # the service's [stack] table: data layer, validation, JSON library

    @property
    def key(self) -> str:
        """`framework/profile`, as results and labels name it."""
        return f"{self.framework}/{self.name}"

    @property
    def needs_database(self) -> bool:
        """Whether the service has a database (the baselines do not)."""
        return self.init is not None


def load_service(service_dir: Path) -> list[Profile]:
    """The profiles declared in `service_dir/profiles.toml`."""
    path = service_dir / "profiles.toml"
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ProfileError(f"no profiles.toml in {service_dir}") from None
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{path}: {error}") from None
    return [
        Profile(
            framework=spec.get("framework", data.get("framework", "")),
            name=name,
            server=spec["server"],
            app=spec["app"],
            service_dir=service_dir.resolve(),
            init=data.get("init"),
            config=spec.get("config"),
            options=tuple(spec.get("options", ())),
            routes=data.get("routes", "all"),
            stack=tuple(sorted(data.get("stack", {}).items())),
        )
        for name, spec in data["profiles"].items()
    ]


def all_profiles(root: Path = SERVICES_ROOT) -> list[Profile]:
    """Every profile of every service under `root`, in a stable order."""
    return [profile for path in sorted(root.glob("*/profiles.toml")) for profile in load_service(path.parent)]


def find_profile(framework: str, name: str, root: Path = SERVICES_ROOT) -> Profile:
    """The profile `framework/name`, or a ProfileError naming the ones that exist."""
    profiles = all_profiles(root)
    for profile in profiles:
        if profile.framework == framework and profile.name == name:
            return profile
    known = ", ".join(p.key for p in profiles)
    raise ProfileError(f"unknown profile {framework}/{name}; known: {known}")
