"""The one error body every service answers with, and its fixed messages."""

from __future__ import annotations

NOT_FOUND = "Not found"
METHOD_NOT_ALLOWED = "Method not allowed"
MALFORMED_JSON = "Malformed JSON"
UNSUPPORTED_MEDIA_TYPE = "Unsupported media type"
PAYLOAD_TOO_LARGE = "Payload too large"
VALIDATION_FAILED = "Validation failed"


def error_body(message: str, fields: dict[str, list[str]] | None = None) -> dict[str, object]:
    """Return the contract's `Error` object; `fields` only for validation failures."""
    body: dict[str, object] = {"error": message}
    if fields is not None:
        body["fields"] = fields
    return body
