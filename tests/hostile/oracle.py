"""What the contract says each generated input must get, computed independently of every service."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from service_common.jsonbody import MalformedJson, parse_json
from service_common.limits import USER_ID_MAX

_DIGITS = re.compile(r"-?[0-9]+")
CONTRACT = Path(__file__).resolve().parents[2] / "services" / "contract" / "openapi.yaml"


@lru_cache(maxsize=1)
def _new_user_schema() -> Any:
    """A validator of the contract's own NewUser schema, by jsonschema-rs (ECMA-262 patterns, as JSON Schema says).

    Independent of the services, which match the same patterns with the `regress` engine.
    """
    schema = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))["components"]["schemas"]["NewUser"]
    return jsonschema_rs.validator_for(schema)


def valid_user(name: Any, email: Any) -> bool:
    """Whether a stored (name, email) satisfies the contract's NewUser schema."""
    return bool(_new_user_schema().is_valid({"name": name, "email": email}))


def new_user_status(raw: bytes) -> int:
    """400 for a body the shared parser calls malformed, 422 for a document that breaks NewUser, else 201."""
    try:
        document = parse_json(raw)
    except MalformedJson:
        return 400
    if not isinstance(document, dict) or set(document) != {"name", "email"}:
        return 422
    return 201 if valid_user(document["name"], document["email"]) else 422


def integer_param(values: list[str], default: int, low: int, high: int) -> int | None:
    """The value of an integer parameter given `values` in order (first counts), or None for a 422."""
    if not values:
        return default
    raw = values[0]
    if not _DIGITS.fullmatch(raw) or len(raw) > 50:
        return None
    number = int(raw)
    return number if low <= number <= high else None


def queries_count(values: list[str]) -> int:
    """TechEmpower's clamp of the first `queries` value: not an integer counts as 1."""
    if not values or not _DIGITS.fullmatch(values[0]) or len(values[0]) > 50:
        return 1
    return max(1, min(500, int(values[0])))


def user_id_found(segment: str) -> bool:
    """Whether `/api/users/{segment}` (decoded) can name a seeded user: ASCII digits, 1..100."""
    return bool(re.fullmatch(r"[0-9]+", segment)) and 1 <= int(segment) <= min(100, USER_ID_MAX)
