"""The one JSON body parser every service uses, so that every service calls the same bytes malformed.

Malformed (400) is: not UTF-8, not JSON (`NaN` and `Infinity` included), a lone surrogate, a repeated key in
an object, nesting deeper than `MAX_JSON_DEPTH`, or a number Python will not convert (over 4300 digits).
"""

from __future__ import annotations

import json
from typing import Any

from service_common.limits import MAX_JSON_DEPTH


class MalformedJson(ValueError):
    """The body is not a JSON document the contract accepts."""


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects, counted outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise MalformedJson("repeated key")
    return document


def _no_constant(name: str) -> Any:
    raise MalformedJson(f"{name} is not JSON")


def parse_json(raw: bytes) -> Any:
    """The document in `raw`, or MalformedJson."""
    try:
        text = raw.decode("utf-8")
        if _depth(text) > MAX_JSON_DEPTH:
            raise MalformedJson(f"nested deeper than {MAX_JSON_DEPTH}")
        document = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        json.dumps(document, ensure_ascii=False).encode("utf-8")  # lone surrogates from \ud800-style escapes
    except MalformedJson:
        raise
    except (UnicodeError, ValueError, RecursionError) as error:
        raise MalformedJson(str(error)) from None
    return document
