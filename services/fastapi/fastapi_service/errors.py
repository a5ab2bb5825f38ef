"""Errors as the contract's JSON body, and the body checks that must come before validation (415, 413, 400)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from service_common import errors
from service_common.jsonbody import MalformedJson, parse_json
from service_common.limits import MAX_BODY_BYTES

MESSAGES = {
    400: errors.MALFORMED_JSON,
    404: errors.NOT_FOUND,
    405: errors.METHOD_NOT_ALLOWED,
    413: errors.PAYLOAD_TOO_LARGE,
    415: errors.UNSUPPORTED_MEDIA_TYPE,
}


def _error(
    status: int, fields: dict[str, list[str]] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    message = MESSAGES.get(status, errors.VALIDATION_FAILED if status == 422 else "Internal error")
    return JSONResponse(errors.error_body(message, fields), status_code=status, headers=headers)


async def body_problem(request: Request) -> int | None:
    """The status for a body that must not reach validation: 415, 413 or 400 (in that order), or None."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/json":
        return 415
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return 413
    try:
        parse_json(body)
    except MalformedJson:
        return 400
    return None


async def require_json_body(request: Request) -> None:
    """A dependency for routes with a JSON body: a well-formed body of the right type and size."""
    status = await body_problem(request)
    if status is not None:
        raise HTTPException(status)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if request.method == "POST":
        status = await body_problem(request)
        if status is not None:
            return _error(status)
    fields: dict[str, list[str]] = {}
    for error in exc.errors():
        location = [str(part) for part in error["loc"] if part not in ("body", "query", "path")]
        fields.setdefault(location[0] if location else "body", []).append(error["msg"])
    return _error(422, fields)


def allow_header(methods: str) -> str:
    """The Allow header in one order everywhere (the route keeps its methods in a set), HEAD wherever GET."""
    allowed = {method.strip() for method in methods.split(",")}
    if "GET" in allowed:
        allowed.add("HEAD")  # HeadAsGet answers it
    return ", ".join(sorted(allowed))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    allow = (exc.headers or {}).get("Allow")
    return _error(exc.status_code, headers={"Allow": allow_header(allow)} if allow else None)


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
