"""results.json's record of each service's stack (service_common.stack) against the code and the profile files."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from service_common.profiles import Profile, all_profiles
from service_common.stack import stack_record

PROFILES = all_profiles()


def module_source(name: str) -> str:
    """A module's source, read without importing it (Django's models need configured settings)."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, name
    return Path(spec.origin).read_text(encoding="utf-8")


def package(profile: Profile) -> str:
    return profile.app.split(".", 1)[0]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.key)
def test_server_and_worker_class_are_the_profile_files(profile: Profile) -> None:
    record = stack_record(profile, [1], "metrics")
    assert record["server"] == profile.server
    if profile.server == "uvicorn":
        assert record["worker_class"] == "uvicorn (--http httptools, --loop uvloop)"
        assert not any(option.startswith("service_common") for option in profile.options), "no server class of ours"
    else:
        conf = (profile.service_dir / (profile.config or "")).read_text()
        assert f'worker_class = "{record["worker_class"]}"' in conf
        assert record["worker_class"] in ("sync", "gthread", "uvicorn_worker.UvicornWorker"), "stock classes only"


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.key)
def test_metrics_mode_follows_the_worker_count_on_every_server(profile: Profile) -> None:
    record = stack_record(profile, [1, 2, 4], "metrics")
    assert record["metrics_mode"] == {"1": "in-process", "2": "multiprocess", "4": "multiprocess"}
    assert stack_record(profile, [1], "off")["metrics_mode"] == {"1": "off"}


DATA_LAYER_SIGNS = {
    "SQLAlchemy ORM": ("DeclarativeBase", "sqlalchemy.orm"),
    "SQLAlchemy ORM (async)": ("DeclarativeBase", "AsyncSession"),
    "Django ORM": ("models.Model",),
}


@pytest.mark.parametrize("profile", [p for p in PROFILES if p.needs_database], ids=lambda p: p.key)
def test_data_layer_validation_and_json_are_the_code(profile: Profile) -> None:
    record = stack_record(profile, [1], "metrics")
    name = package(profile)
    sources = {  # the ORM models both SQLAlchemy services declare live in service_common.orm_models
        "fastapi_service": (
            "service_common.orm_models",
            *(f"{name}.{m}" for m in ("database", "schemas", "routes", "main")),
        ),
        "flask_service": (
            "service_common.orm_models",
            *(f"{name}.{m}" for m in ("database", "validation", "views", "app")),
        ),
        "django_service": tuple(f"{name}.{m}" for m in ("bench.models", "bench.forms", "bench.views", "settings")),
    }[name]
    code = "\n".join(module_source(module) for module in sources)
    assert all(sign in code for sign in DATA_LAYER_SIGNS[record["data_layer"]]), record["data_layer"]
    if record["data_layer"] == "SQLAlchemy ORM":
        assert "Table(" not in code and "users_table" not in code, "Core tables left in an ORM service"
    assert "service_common.patterns" in code, "the contract's patterns are matched as ECMA-262"
    validation = record["validation"]
    if validation == "pydantic":
        assert "BaseModel" in code
    elif validation == "django.forms":
        assert "forms.Form" in code
    else:
        assert validation == "hand-written" and "pydantic" not in code and "forms.Form" not in code
    assert record["json"].startswith("json"), "no faster JSON library is recorded, and none is used"
    assert "orjson" not in code and "ujson" not in code


JSON_DEFAULTS = """
from fastapi.responses import JSONResponse
from flask.json.provider import DefaultJSONProvider
from fastapi_service.main import app as fastapi_app
from flask_service.app import app as flask_app
assert fastapi_app.router.default_response_class.value is JSONResponse
assert type(flask_app.json) is DefaultJSONProvider
print("ok")
"""


def test_json_libraries_are_the_frameworks_defaults(tmp_path: Path) -> None:
    """In a fresh interpreter, instrumentation off: importing the apps must not instrument this process's engines."""
    env = {**os.environ, "OBSERVATORY_INSTRUMENTATION": "off", "OBSERVATORY_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", JSON_DEFAULTS], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_a_runs_results_record_every_profiles_stack(tmp_path: Path) -> None:
    """observatory run writes the record into results.json's settings (no service is started to build it)."""
    from observatory.judging import Slo
    from observatory.run.plan import RunOptions
    from observatory.run.run_sizes import SIZES
    from observatory.run.session import Session
    from observatory.workload_catalog import WORKLOADS

    profiles = [p for p in PROFILES if p.framework in ("fastapi", "flask")]
    options = RunOptions(
        profiles=profiles, workloads=[WORKLOADS["json"]], size=SIZES["tiny"], repeats=1, workers=[1, 2],
        slo=Slo(), output=tmp_path, instrumentation="metrics",
    )  # fmt: skip
    stacks = Session(options).run.settings["stacks"]
    assert stacks == {p.key: stack_record(p, [1, 2], "metrics") for p in profiles}
    assert stacks["flask/gunicorn-sync"]["data_layer"] == "SQLAlchemy ORM"
    assert stacks["flask/gunicorn-sync"]["metrics_mode"] == {"1": "in-process", "2": "multiprocess"}
