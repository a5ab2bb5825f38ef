"""The rules that decide what a hostile request gets, each tested where it is decided (no servers)."""

from __future__ import annotations

import json
import socket
import time

import pytest
from gunicorn.http import errors as gunicorn_errors

from service_common import errors, limits
from service_common.database_budget import budget_problem
from service_common.framing import FramingError, RequestTimeout, request_read_seconds
from service_common.gunicorn_workers import DeadlineSocket, status_for
from service_common.jsonbody import MalformedJson, parse_json
from service_common.params import bounded_int, first_value, strict_int
from service_common.workload_rules import clamp_queries


def test_json_nesting_is_refused_past_the_limit() -> None:
    deepest = "[" * limits.MAX_JSON_DEPTH + "]" * limits.MAX_JSON_DEPTH
    assert parse_json(deepest.encode()) is not None
    with pytest.raises(MalformedJson):
        parse_json(("[" + deepest + "]").encode())


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"name": "[" * 500, "email": '{\\"' * 100})
    assert parse_json(text.encode())["name"] == "[" * 500


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1, "a": 2}',
        b'{"a": NaN}',
        b"[Infinity]",
        b'"\\ud800"',
        b"\xff",
        b"[" + b"1" * 5000 + b"]",
        b"[" * 100000,
        b"",
    ],
    ids=["repeated-key", "nan", "infinity", "lone-surrogate", "not-utf8", "huge-integer", "deep-unclosed", "empty"],
)
def test_malformed_json(raw: bytes) -> None:
    with pytest.raises(MalformedJson):
        parse_json(raw)


def test_the_first_occurrence_of_a_parameter_counts() -> None:
    assert first_value("n=1&n=2", "n") == "1"
    assert first_value(b"m=1&n=&n=2", "n") == ""
    assert first_value("x=1", "n") is None
    assert first_value("n=%ff", "n") == "\ufffd"


@pytest.mark.parametrize("raw", ["+5", " 5", "5 ", "5.0", "1_0", "٥", "５", "0x1", "", "1e3", "9" * 51])
def test_only_ascii_digits_are_integers(raw: str) -> None:
    assert strict_int(raw) is None
    assert isinstance(bounded_int(raw, 1, 0, 10), str)
    assert clamp_queries(raw) == 1


def test_integers_in_range() -> None:
    assert strict_int("-0") == 0 and strict_int("05") == 5
    assert bounded_int("7", 1, 0, 10) == 7 and bounded_int(None, 3, 0, 10) == 3
    assert isinstance(bounded_int("11", 1, 0, 10), str)
    assert clamp_queries("9" * 30) == limits.QUERIES_MAX and clamp_queries("-4") == 1


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (RequestTimeout(), 408),
        (gunicorn_errors.LimitRequestLine(9000, 8190), 414),
        (gunicorn_errors.LimitRequestHeaders("too many"), 431),
        (gunicorn_errors.InvalidChunkSize(b"zz"), 400),
        (gunicorn_errors.UnsupportedTransferCoding("gzip"), 400),
        (gunicorn_errors.InvalidRequestLine("x"), 400),
        (gunicorn_errors.NoMoreData(b""), 400),
        (ValueError("an application bug"), None),
    ],
)
def test_gunicorn_errors_map_to_client_statuses(exc: BaseException, status: int | None) -> None:
    """gunicorn answers 501 for an unknown transfer coding: a 5xx for client input, mapped to 400."""
    assert status_for(exc) == status


def test_server_layer_answers_carry_the_error_body() -> None:
    raw = errors.raw_error_response(431, "gunicorn")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ")
    assert b"Connection: close" in head and b"Content-Type: application/json" in head and b"Date: " in head
    assert f"Content-Length: {len(body)}".encode() in head
    assert json.loads(body) == {"error": errors.HEADER_FIELDS_TOO_LARGE}


def test_contract_lists_every_server_layer_message(contract: dict) -> None:
    enum = contract["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
    assert set(errors.SERVER_LAYER_MESSAGES.values()) <= set(enum)


def test_a_socket_read_ends_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that sends nothing costs the reader the deadline, not forever."""
    monkeypatch.setenv("REQUEST_READ_TIMEOUT", "0.3")
    left, right = socket.socketpair()
    with left, right:
        reader = DeadlineSocket(fileno=left.detach())
        reader.arm()
        right.sendall(b"GET /")
        assert reader.recv(100) == b"GET /"
        start = time.monotonic()
        with pytest.raises(RequestTimeout):
            reader.recv(100)
        assert time.monotonic() - start < 1.0
        reader.deadline = None
        right.sendall(b"x")
        assert reader.recv(1) == b"x"
        reader.close()


def test_read_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUEST_READ_TIMEOUT", "2.5")
    assert request_read_seconds() == 2.5
    for bad in ("soon", "0", "-1", "301"):
        monkeypatch.setenv("REQUEST_READ_TIMEOUT", bad)
        with pytest.raises(FramingError, match="REQUEST_READ_TIMEOUT"):
            request_read_seconds()


def test_connection_budget_rule() -> None:
    assert budget_problem(workers=4, per_worker=10, max_connections=100, reserved=3) is None
    assert budget_problem(workers=9, per_worker=10, max_connections=100, reserved=3) is None
    problem = budget_problem(workers=10, per_worker=10, max_connections=100, reserved=3)
    assert problem is not None and "100 database connections" in problem and "allows 97" in problem


def test_django_patterns_match_the_whole_value() -> None:
    """RegexValidator searches, and `$` matches before a final newline: `Ada\\n` must not be a valid name."""
    from django_service.bench.forms import whole_match

    name = whole_match(limits.USER_NAME_PATTERN)
    assert name.search("Ada") and not name.search("Ada\n")
    assert not whole_match(limits.USER_EMAIL_PATTERN).search("a@b.co\n")


def test_contract_limits_match_the_constants(contract: dict) -> None:
    x = contract["x-limits"]
    assert x["json_max_depth"] == limits.MAX_JSON_DEPTH
    assert x["request_line_max_bytes"] == limits.MAX_REQUEST_LINE_BYTES
    assert x["header_fields_max"] == limits.MAX_HEADER_FIELDS
    assert x["header_field_max_bytes"] == limits.MAX_HEADER_FIELD_BYTES
    assert x["request_read_seconds"] == limits.REQUEST_READ_SECONDS


def test_contract_decides_every_hostile_class(contract: dict) -> None:
    """Issue 14's classes each have a rule and the layer that applies it."""
    classes = contract["x-hostile-clients"]
    expected = {
        "pathological-json", "malformed-chunked-body", "lying-content-length-and-half-sent-bodies", "oversized-body",
        "invalid-data-stored", "head-and-options", "duplicate-query-parameters", "integer-parameters",
        "doubled-and-trailing-slashes", "chunked-request-bodies", "pipelined-requests", "server-layer-errors",
    }  # fmt: skip
    assert set(classes) == expected
    assert all(c["rule"] and c["layer"] in ("server", "framework") for c in classes.values())


def test_a_slow_body_holds_no_concurrency_slot() -> None:
    """Django under ASGI is limited to N requests at once; a request still sending its body must not hold one."""
    import asyncio

    from service_common.asgi_limit import ConcurrencyLimit

    served: list[bytes] = []

    async def app(scope: dict, receive: object, send: object) -> None:
        message = await receive()  # type: ignore[operator]
        served.append(message["body"])

    async def scenario() -> None:
        limited = ConcurrencyLimit(app, limit=1)
        never = asyncio.Event()

        async def slow_receive() -> dict:
            await never.wait()
            return {"type": "http.disconnect"}

        async def quick_receive() -> dict:
            return {"type": "http.request", "body": b"quick", "more_body": False}

        slow = asyncio.create_task(limited({"type": "http"}, slow_receive, None))
        await asyncio.sleep(0)
        await asyncio.wait_for(limited({"type": "http"}, quick_receive, None), timeout=1)
        slow.cancel()

    asyncio.run(scenario())
    assert served == [b"quick"]
