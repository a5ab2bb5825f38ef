"""Bounds of the contract's inputs (services/contract/openapi.yaml, `x-limits`; a test keeps both equal)."""

from __future__ import annotations

QUERIES_MIN = 1
QUERIES_MAX = 500
IO_MS_MIN = 0
IO_MS_MAX = 1000
IO_MS_DEFAULT = 10
CPU_N_MIN = 1
CPU_N_MAX = 1_000_000
CPU_N_DEFAULT = 10_000
USER_ID_MIN = 1
USER_ID_MAX = 2_147_483_647
USER_NAME_MAX_LENGTH = 100
USER_EMAIL_MAX_LENGTH = 254
MAX_BODY_BYTES = 16_384
WORLD_ROWS = 10_000
SEEDED_USERS = 100
MAX_JSON_DEPTH = 32

# gunicorn's limit_request_line, limit_request_fields and limit_request_field_size (uvicorn has none; nginx bounds
# the line and each field through large_client_header_buffers).
MAX_REQUEST_LINE_BYTES = 8190
MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190
# Behind nginx: client_header_timeout and client_body_timeout, seconds (env REQUEST_READ_TIMEOUT).
REQUEST_READ_SECONDS = 10.0

USER_NAME_PATTERN = r"^[^\x00-\x1f\x7f]+$"
USER_EMAIL_PATTERN = r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$"
