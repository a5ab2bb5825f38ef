"""Hand-written validation of the users body, as a Flask team writes it without a schema library.

The contract's patterns are matched as JSON Schema defines them (ECMA-262, service_common.patterns), not with re.
"""

from __future__ import annotations

from typing import Any

from service_common.limits import USER_EMAIL_MAX_LENGTH, USER_NAME_MAX_LENGTH
from service_common.patterns import valid_email, valid_name

FIELDS = ("name", "email")


def new_user_errors(document: Any) -> dict[str, list[str]]:
    """Field errors of a new-user document (empty when it is valid)."""
    if not isinstance(document, dict):
        return {"body": ["must be a JSON object"]}
    errors: dict[str, list[str]] = {key: ["unknown field"] for key in document if key not in FIELDS}
    for field, pattern, max_length in (
        ("name", valid_name, USER_NAME_MAX_LENGTH),
        ("email", valid_email, USER_EMAIL_MAX_LENGTH),
    ):
        value = document.get(field)
        if field not in document:
            errors[field] = ["this field is required"]
        elif not isinstance(value, str):
            errors[field] = ["must be a string"]
        elif not 1 <= len(value) <= max_length:
            errors[field] = [f"must be 1 to {max_length} characters"]
        elif not pattern(value):
            errors[field] = ["has an invalid format"]
    return errors
