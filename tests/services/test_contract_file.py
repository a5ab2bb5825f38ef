"""The contract file is valid OpenAPI 3.1, agrees with the shared limits, and every framework serves every path."""

from __future__ import annotations

import schemathesis

from service_common import limits
from tests.conftest import CONTRACT


def test_contract_loads_as_openapi_31(contract: dict) -> None:
    assert contract["openapi"].startswith("3.1")
    schema = schemathesis.openapi.from_path(str(CONTRACT))
    operations = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert ("POST", "/api/users") in operations and ("GET", "/api/users/{user_id}") in operations


def test_limits_match_the_shared_constants(contract: dict) -> None:
    x = contract["x-limits"]
    assert (x["queries"]["min"], x["queries"]["max"]) == (limits.QUERIES_MIN, limits.QUERIES_MAX)
    assert (x["io_ms"]["min"], x["io_ms"]["max"], x["io_ms"]["default"]) == (
        limits.IO_MS_MIN,
        limits.IO_MS_MAX,
        limits.IO_MS_DEFAULT,
    )
    assert (x["cpu_n"]["min"], x["cpu_n"]["max"], x["cpu_n"]["default"]) == (
        limits.CPU_N_MIN,
        limits.CPU_N_MAX,
        limits.CPU_N_DEFAULT,
    )
    assert x["user_id"]["max"] == limits.USER_ID_MAX
    assert x["max_body_bytes"] == limits.MAX_BODY_BYTES
    assert x["user_name_max_length"] == limits.USER_NAME_MAX_LENGTH
    assert x["user_email_max_length"] == limits.USER_EMAIL_MAX_LENGTH
    user = contract["components"]["schemas"]["NewUser"]["properties"]
    assert user["name"]["pattern"] == limits.USER_NAME_PATTERN
    assert user["email"]["pattern"] == limits.USER_EMAIL_PATTERN


def test_fastapi_generated_openapi_covers_the_contract(contract: dict) -> None:
    from fastapi_service.main import create_app

    generated = create_app().openapi()["paths"]
    expected = {path for path in contract["paths"] if path != "/metrics"}
    assert expected <= set(generated), expected - set(generated)
    assert generated["/api/users"]["post"]["requestBody"]["content"]["application/json"]
