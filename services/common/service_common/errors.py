"""The one error body every service answers with, and its fixed messages."""

from __future__ import annotations

NOT_FOUND = "Not found"
METHOD_NOT_ALLOWED = "Method not allowed"
MALFORMED_JSON = "Malformed JSON"
UNSUPPORTED_MEDIA_TYPE = "Unsupported media type"
PAYLOAD_TOO_LARGE = "Payload too large"
VALIDATION_FAILED = "Validation failed"
BAD_REQUEST = "Bad request"
REQUEST_TIMEOUT = "Request timeout"
URI_TOO_LONG = "URI too long"
HEADER_FIELDS_TOO_LARGE = "Header fields too large"

# What a proxy in front answers before any framework runs, by status (observatory/run/proxy.py: nginx's error pages).
SERVER_LAYER_MESSAGES = {
    400: BAD_REQUEST,
    408: REQUEST_TIMEOUT,
    413: PAYLOAD_TOO_LARGE,
    414: URI_TOO_LONG,
    431: HEADER_FIELDS_TOO_LARGE,
}


def error_body(message: str, fields: dict[str, list[str]] | None = None) -> dict[str, object]:
    """Return the contract's `Error` object; `fields` only for validation failures."""
    body: dict[str, object] = {"error": message}
    if fields is not None:
        body["fields"] = fields
    return body
