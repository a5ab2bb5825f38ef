"""The contract's routes as Flask views."""

from __future__ import annotations

import time

from flask import Blueprint, Response, abort, current_app, jsonify, make_response, render_template, request
from sqlalchemy import select, text

from flask_service.database import session
from flask_service.validation import new_user_errors
from service_common import errors
from service_common.jsonbody import MalformedJson, parse_json
from service_common.limits import (
    CPU_N_DEFAULT,
    CPU_N_MAX,
    CPU_N_MIN,
    IO_MS_DEFAULT,
    IO_MS_MAX,
    IO_MS_MIN,
    MAX_BODY_BYTES,
    USER_ID_MAX,
)  # fmt: skip
from service_common.metrics import render_metrics
from service_common.orm_models import Fortune, User, World
from service_common.params import bounded_int, first_value
from service_common.workload_rules import (
    ADDED_FORTUNE,
    HELLO,
    clamp_queries,
    cpu_work,
    distinct_world_ids,
    random_number,
    random_world_id,
)  # fmt: skip

bench = Blueprint("bench", __name__)


def _error(status: int, message: str, fields: dict[str, list[str]] | None = None) -> tuple[Response, int]:
    return jsonify(errors.error_body(message, fields)), status


def _world_row(world: World) -> dict[str, int]:
    return {"id": world.id, "randomNumber": world.randomnumber}


@bench.get("/json")
def json_view() -> Response:
    return jsonify(message=HELLO)


@bench.get("/plaintext")
def plaintext() -> Response:
    return Response(HELLO, content_type="text/plain; charset=utf-8")


@bench.get("/db")
def db() -> Response:
    with session() as orm:
        world = orm.get_one(World, random_world_id())
    return jsonify(_world_row(world))


@bench.get("/queries")
def queries() -> Response:
    count = clamp_queries(_arg("queries"))
    with session() as orm:
        rows = [orm.execute(select(World).where(World.id == random_world_id())).scalar_one() for _ in range(count)]
    return jsonify([_world_row(w) for w in rows])


@bench.get("/updates")
def updates() -> Response:
    count = clamp_queries(_arg("queries"))
    with session() as orm, orm.begin():
        worlds = [
            orm.execute(select(World).where(World.id == world_id)).scalar_one()
            for world_id in distinct_world_ids(count)
        ]
        for world in worlds:
            world.randomnumber = random_number()
    return jsonify([_world_row(w) for w in worlds])


@bench.get("/fortunes")
def fortunes() -> str:
    with session() as orm:
        rows = [(f.id, f.message) for f in orm.scalars(select(Fortune))]
    rows.append((0, ADDED_FORTUNE))
    rows.sort(key=lambda row: row[1])
    return render_template("fortunes.html", fortunes=rows)


@bench.get("/api/users/<digits:user_id>")
def get_user(user_id: int) -> Response | tuple[Response, int]:
    if user_id > USER_ID_MAX or user_id < 1:
        return _error(404, errors.NOT_FOUND)
    with session() as orm:
        user = orm.get(User, user_id)
    if user is None:
        return _error(404, errors.NOT_FOUND)
    return jsonify(id=user.id, name=user.name, email=user.email)


@bench.post("/api/users")
def create_user() -> tuple[Response, int] | Response:
    if request.mimetype != "application/json":
        return _error(415, errors.UNSUPPORTED_MEDIA_TYPE)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _error(413, errors.PAYLOAD_TOO_LARGE)
    try:
        raw = request.get_data(cache=False)
    except Exception:  # the server could not read the body (gunicorn raises its ParseException on a bad chunk)
        return _error(400, errors.BAD_REQUEST)
    try:
        document = parse_json(raw)
    except MalformedJson:
        return _error(400, errors.MALFORMED_JSON)
    invalid = new_user_errors(document)
    if invalid:
        return _error(422, errors.VALIDATION_FAILED, invalid)
    user = User(name=document["name"], email=document["email"])
    with session() as orm, orm.begin():
        orm.add(user)
    user_id = user.id
    response = jsonify(id=user_id, name=document["name"], email=document["email"])
    response.status_code = 201
    response.headers["Location"] = f"/api/users/{user_id}"
    return response


def _arg(name: str) -> str | None:
    """The first occurrence of query parameter `name` (the contract's rule for repeated parameters)."""
    return first_value(request.query_string, name)


def _bounded_arg(name: str, default: int, low: int, high: int) -> int:
    value = bounded_int(_arg(name), default, low, high)
    if isinstance(value, str):
        abort(make_response(*_error(422, errors.VALIDATION_FAILED, {name: [value]})))
    return value


@bench.get("/io")
def io() -> Response:
    ms = _bounded_arg("ms", IO_MS_DEFAULT, IO_MS_MIN, IO_MS_MAX)
    time.sleep(ms / 1000)
    return jsonify(waited_ms=ms)


@bench.get("/cpu")
def cpu() -> Response:
    n = _bounded_arg("n", CPU_N_DEFAULT, CPU_N_MIN, CPU_N_MAX)
    return jsonify(n=n, result=cpu_work(n))


@bench.get("/health/live")
def live() -> Response:
    return jsonify(status="ok")


@bench.get("/health/ready")
def ready() -> tuple[Response, int]:
    try:
        with session() as orm:
            orm.execute(text("SELECT 1"))
    except Exception:  # any database failure means "not ready"
        current_app.logger.warning("readiness: database unreachable", exc_info=True)
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok"), 200


@bench.get("/metrics")
def metrics() -> Response:
    body, content_type = render_metrics(request.headers.get("Accept"))
    return Response(body, content_type=content_type)
