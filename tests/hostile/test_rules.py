"""The rules that decide what a hostile request gets, each tested where it is decided (no servers)."""

from __future__ import annotations

import json

import pytest

from service_common import errors, limits
from service_common.database_budget import budget_problem
from service_common.framing import FramingError, request_read_seconds
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


def test_nginx_answers_carry_the_error_body() -> None:
    """Every status nginx decides itself is given the contract's status and `Error` body (never a 5xx)."""
    from pathlib import Path

    from observatory.run.proxy import OWN_ANSWERS, nginx_conf

    conf = nginx_conf(Path("/tmp/x"), 1, 2, 1, 2.5)
    assert all(status < 500 for status in OWN_ANSWERS.values())
    for decided, status in OWN_ANSWERS.items():
        assert f"error_page {decided} ={status} /.observatory-error/{status};" in conf
        body = json.dumps({"error": errors.SERVER_LAYER_MESSAGES[status]}, separators=(",", ":"))
        location = f"location = /.observatory-error/{status} {{ internal; default_type application/json;"
        assert location in conf and f"return {status} '{body}'" in conf
    assert "client_header_timeout 2500ms;" in conf and "client_body_timeout 2500ms;" in conf
    assert f"client_max_body_size {limits.MAX_BODY_BYTES};" in conf and "proxy_request_buffering on;" in conf
    assert "keepalive 32;" in conf and "proxy_intercept_errors" not in conf


def test_contract_lists_every_server_layer_message(contract: dict) -> None:
    enum = contract["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
    assert set(errors.SERVER_LAYER_MESSAGES.values()) <= set(enum)


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
    assert all(c["rule"] and c["layer"] in ("transport", "application") for c in classes.values())
