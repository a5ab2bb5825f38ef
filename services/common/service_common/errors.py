"""The one error body every service answers with, and its fixed messages."""

from __future__ import annotations

import json

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

# What a server layer answers before any framework runs, by status (services/contract/openapi.yaml, x-framing).
SERVER_LAYER_MESSAGES = {
    400: BAD_REQUEST,
    408: REQUEST_TIMEOUT,
    413: PAYLOAD_TOO_LARGE,
    414: URI_TOO_LONG,
    431: HEADER_FIELDS_TOO_LARGE,
}
REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
}


def error_body(message: str, fields: dict[str, list[str]] | None = None) -> dict[str, object]:
    """Return the contract's `Error` object; `fields` only for validation failures."""
    body: dict[str, object] = {"error": message}
    if fields is not None:
        body["fields"] = fields
    return body


def raw_error_response(status: int, server: str) -> bytes:
    """A whole HTTP/1.1 response carrying the `Error` body, closing the connection (for server layers)."""
    from email.utils import formatdate

    body = json.dumps(error_body(SERVER_LAYER_MESSAGES[status]), separators=(",", ":")).encode()
    head = (
        f"HTTP/1.1 {status} {REASONS[status]}\r\n"
        f"Server: {server}\r\n"
        f"Date: {formatdate(usegmt=True)}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body
