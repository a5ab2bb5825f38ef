"""The contract's routes as Django function views."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from django_service.bench.forms import CpuForm, IoForm, NewUserForm
from django_service.bench.models import Fortune, User, World
from service_common import errors
from service_common.jsonbody import MalformedJson, parse_json
from service_common.limits import CPU_N_DEFAULT, IO_MS_DEFAULT, MAX_BODY_BYTES, USER_ID_MAX
from service_common.metrics import render_metrics
from service_common.params import first_value
from service_common.workload_rules import (
    ADDED_FORTUNE,
    HELLO,
    clamp_queries,
    cpu_work,
    distinct_world_ids,
    random_number,
    random_world_id,
)  # fmt: skip

View = Callable[..., HttpResponse]


def error(status: int, message: str, fields: dict[str, list[str]] | None = None) -> JsonResponse:
    """The contract's error body."""
    return JsonResponse(errors.error_body(message, fields), status=status)


def allow(*methods: str) -> Callable[[View], View]:
    """Like require_http_methods, but answering 405 with the contract's JSON body."""

    allowed = (*methods, "HEAD") if "GET" in methods else methods  # HEAD wherever GET (the contract)

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                response = error(405, errors.METHOD_NOT_ALLOWED)
                response["Allow"] = ", ".join(allowed)
                return response
            return view(request, *args, **kwargs)

        return guarded

    return decorate


def _world(world: World) -> dict[str, int]:
    return {"id": world.id, "randomNumber": world.randomnumber}


@allow("GET")
def json_view(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"message": HELLO})


@allow("GET")
def plaintext(request: HttpRequest) -> HttpResponse:
    return HttpResponse(HELLO, content_type="text/plain; charset=utf-8")


@allow("GET")
def db(request: HttpRequest) -> HttpResponse:
    return JsonResponse(_world(World.objects.get(id=random_world_id())))


@allow("GET")
def queries(request: HttpRequest) -> HttpResponse:
    count = clamp_queries(_arg(request, "queries"))
    return JsonResponse([_world(World.objects.get(id=random_world_id())) for _ in range(count)], safe=False)


@allow("GET")
def updates(request: HttpRequest) -> HttpResponse:
    count = clamp_queries(_arg(request, "queries"))
    with transaction.atomic():
        worlds = [World.objects.get(id=world_id) for world_id in distinct_world_ids(count)]
        for world in worlds:
            world.randomnumber = random_number()
        World.objects.bulk_update(worlds, ["randomnumber"])
    return JsonResponse([_world(w) for w in worlds], safe=False)


@allow("GET")
def fortunes(request: HttpRequest) -> HttpResponse:
    rows = [*Fortune.objects.all(), Fortune(id=0, message=ADDED_FORTUNE)]
    rows.sort(key=lambda fortune: fortune.message)
    return render(request, "fortunes.html", {"fortunes": rows})


@allow("GET")
def get_user(request: HttpRequest, user_id: int) -> HttpResponse:
    user = User.objects.filter(pk=user_id).first() if 1 <= user_id <= USER_ID_MAX else None
    if user is None:
        return error(404, errors.NOT_FOUND)
    return JsonResponse({"id": user.id, "name": user.name, "email": user.email})


def _document(request: HttpRequest) -> Any | HttpResponse:
    """The request's JSON document, or the 415/413/400 response that stops it before validation."""
    if request.content_type != "application/json":
        return error(415, errors.UNSUPPORTED_MEDIA_TYPE)
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
        return error(413, errors.PAYLOAD_TOO_LARGE)
    try:
        return parse_json(request.body)
    except MalformedJson:
        return error(400, errors.MALFORMED_JSON)


def _type_errors(document: Any, form_class: type[forms.Form]) -> dict[str, list[str]]:
    """What a form would coerce silently: a non-object body, unknown fields, values that are not strings."""
    if not isinstance(document, dict):
        return {"body": ["must be a JSON object"]}
    problems = {key: ["unknown field"] for key in document if key not in form_class.base_fields}
    for key, value in document.items():
        if key in form_class.base_fields and value is not None and not isinstance(value, str):
            problems[key] = ["must be a string"]
    return problems


@allow("POST")
def create_user(request: HttpRequest) -> HttpResponse:
    document = _document(request)
    if isinstance(document, HttpResponse):
        return document
    problems = _type_errors(document, NewUserForm)
    if not isinstance(document, dict):
        return error(422, errors.VALIDATION_FAILED, problems)
    form = NewUserForm(document)
    if problems or not form.is_valid():
        return error(422, errors.VALIDATION_FAILED, {**{k: list(v) for k, v in form.errors.items()}, **problems})
    user = User.objects.create(**form.cleaned_data)
    response = JsonResponse({"id": user.id, "name": user.name, "email": user.email}, status=201)
    response["Location"] = f"/api/users/{user.id}"
    return response


def _arg(request: HttpRequest, name: str) -> str | None:
    """The first occurrence of query parameter `name` (QueryDict.get gives the last; the contract says first)."""
    return first_value(request.META.get("QUERY_STRING", ""), name)


def _bounded(request: HttpRequest, form_class: type[forms.Form], name: str, default: int) -> int | HttpResponse:
    raw = _arg(request, name)
    form = form_class({name: str(default) if raw is None else raw})
    if not form.is_valid():
        return error(422, errors.VALIDATION_FAILED, {k: list(v) for k, v in form.errors.items()})
    return int(form.cleaned_data[name])


@allow("GET")
def io(request: HttpRequest) -> HttpResponse:
    ms = _bounded(request, IoForm, "ms", IO_MS_DEFAULT)
    if isinstance(ms, HttpResponse):
        return ms
    time.sleep(ms / 1000)
    return JsonResponse({"waited_ms": ms})


@allow("GET")
def cpu(request: HttpRequest) -> HttpResponse:
    n = _bounded(request, CpuForm, "n", CPU_N_DEFAULT)
    if isinstance(n, HttpResponse):
        return n
    return JsonResponse({"n": n, "result": cpu_work(n)})


@allow("GET")
def live(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@allow("GET")
def ready(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not ready"
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@allow("GET")
def metrics(request: HttpRequest) -> HttpResponse:
    body, content_type = render_metrics(request.headers.get("Accept"))
    return HttpResponse(body, content_type=content_type)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: the contract's body instead of Django's HTML page."""
    return error(404, errors.NOT_FOUND)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON, never Django's HTML page."""
    return JsonResponse({"error": "Internal error"}, status=500)
