"""docs/servers.md's claims about each server's settings, read against the profile files they describe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from observatory.run.proxy import UPSTREAM_KEEPALIVE, nginx_conf
from service_common import gunicorn_profile, limits
from service_common.profiles import all_profiles
from service_common.stack import worker_class

DOC = (Path(__file__).resolve().parents[2] / "docs" / "servers.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "setting",
    [
        "timeout",
        "graceful_timeout",
        "keepalive",
        "limit_request_line",
        "limit_request_fields",
        "limit_request_field_size",
    ],
)
def test_gunicorn_settings_are_the_config(setting: str) -> None:
    claimed = re.search(rf"`{setting}` (\d+)", DOC)
    assert claimed, f"docs/servers.md names no value for {setting}"
    assert int(claimed.group(1)) == getattr(gunicorn_profile, setting)


def test_worker_classes_are_the_profiles() -> None:
    for profile in all_profiles():
        assert f'worker_class = "{worker_class(profile)}"' in DOC or profile.server == "uvicorn", profile.key
        if profile.server == "uvicorn":
            assert "`--loop uvloop --http httptools`" in DOC
            assert list(profile.options) == ["--loop", "uvloop", "--http", "httptools"], profile.key


def test_nginx_settings_are_the_proxy() -> None:
    conf = nginx_conf(Path("/tmp/x"), 1, 2, 1, limits.REQUEST_READ_SECONDS)
    assert f"client_max_body_size {limits.MAX_BODY_BYTES};" in conf
    assert f"`client_max_body_size` {limits.MAX_BODY_BYTES}" in DOC
    assert f"`keepalive {UPSTREAM_KEEPALIVE}`" in DOC and f"keepalive {UPSTREAM_KEEPALIVE};" in conf
    seconds = int(limits.REQUEST_READ_SECONDS)
    assert f"`REQUEST_READ_TIMEOUT` ({seconds} s)" in DOC and f"client_body_timeout {seconds * 1000}ms;" in conf
