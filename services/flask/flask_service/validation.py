"""Hand-written validation of the users body, as a Flask team writes it without a schema library."""

from __future__ import annotations

import re
from typing import Any

from service_common.limits import USER_EMAIL_MAX_LENGTH, USER_EMAIL_PATTERN, USER_NAME_MAX_LENGTH, USER_NAME_PATTERN

NAME = re.compile(USER_NAME_PATTERN)
EMAIL = re.compile(USER_EMAIL_PATTERN)
FIELDS = ("name", "email")


def new_user_errors(document: Any) -> dict[str, list[str]]:
    """Field errors of a new-user document (empty when it is valid)."""
    if not isinstance(document, dict):
        return {"body": ["must be a JSON object"]}
    errors: dict[str, list[str]] = {key: ["unknown field"] for key in document if key not in FIELDS}
    for field, pattern, max_length in (("name", NAME, USER_NAME_MAX_LENGTH), ("email", EMAIL, USER_EMAIL_MAX_LENGTH)):
        value = document.get(field)
        if field not in document:
            errors[field] = ["this field is required"]
        elif not isinstance(value, str):
            errors[field] = ["must be a string"]
        elif not 1 <= len(value) <= max_length:
            errors[field] = [f"must be 1 to {max_length} characters"]
        elif not pattern.fullmatch(value):
            errors[field] = ["has an invalid format"]
    return errors
