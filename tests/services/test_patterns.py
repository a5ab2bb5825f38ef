"""Validation agrees with the contract's JSON Schema patterns under ECMA-262 semantics, in every service.

Each case is one where Python's `re` and ECMA-262 disagree; the expected answer comes from jsonschema-rs
validating the contract's own NewUser schema (tests/hostile/oracle.py), not from the services' engine.
"""

from __future__ import annotations

import re

import pytest

from service_common import patterns
from tests.hostile import oracle

# (pattern, value, ECMA-262's answer): Python's re.search gives the other answer on every row
DIALECT_CASES = [
    (r"^\d+$", "\u0663", False),  # Arabic-Indic three: a digit to Python, not to ECMA-262's \d ([0-9])
    (r"^\w+$", "\u00e9", False),  # é: a word character to Python, ECMA-262's \w is [A-Za-z0-9_]
    (r"^\s$", "\ufeff", True),  # the BOM is WhiteSpace in ECMA-262, not to Python's \s
    (r"^\s$", "\x85", False),  # NEL: Python's \s, not ECMA-262's
    (r"^\S$", "\x1c", True),  # the file separator: Python's \s, not ECMA-262's
    (r"^a$", "a\n", False),  # Python's $ matches before a final newline
]


@pytest.mark.parametrize(("pattern", "value", "ecma"), DIALECT_CASES)
def test_patterns_follow_ecma_262(pattern: str, value: str, ecma: bool) -> None:
    assert patterns.matches(pattern, value) is ecma
    assert (re.search(pattern, value) is not None) is not ecma  # the case really tells the dialects apart


# emails and names on which the two dialects disagree for the contract's own patterns
USERS = [
    ("Ada", "a\x85b@example.com"),  # valid: NEL is not \s in ECMA-262
    ("Ada", "a\ufeff@example.com"),  # invalid: the BOM is \s in ECMA-262
    ("Ada", "ada@exa\u00a0mple.com"),  # invalid in both (no-break space), a control
    ("Ada", "ada@example.com\n"),  # invalid: $ is the end
    ("Ada\n", "ada@example.com"),  # invalid: $ is the end
    ("Zo\u00eb \u2028", "z@example.co"),  # valid name: U+2028 is no control character
    ("Ada", "ada@example\u2028.com"),  # invalid: U+2028 is a LineTerminator, so \s in ECMA-262
    ("Ada", "ada@ex\u3000ample.com"),  # invalid: ideographic space
    ("Ada", "ada@example.com"),  # valid everywhere
]


def flask_accepts(name: str, email: str) -> bool:
    from flask_service.validation import new_user_errors

    return not new_user_errors({"name": name, "email": email})


def django_accepts(name: str, email: str) -> bool:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)
        django.setup()
    from django_service.bench.forms import NewUserForm

    return NewUserForm({"name": name, "email": email}).is_valid()


def fastapi_accepts(name: str, email: str) -> bool:
    from pydantic import ValidationError

    from fastapi_service.schemas import NewUser

    try:
        NewUser(name=name, email=email)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "accepts", [flask_accepts, django_accepts, fastapi_accepts], ids=["flask", "django", "fastapi"]
)
@pytest.mark.parametrize(("name", "email"), USERS)
def test_services_validate_as_the_contract_says(accepts: object, name: str, email: str) -> None:
    assert callable(accepts)
    assert accepts(name, email) is oracle.valid_user(name, email)


def test_the_cases_include_both_answers() -> None:
    answers = {oracle.valid_user(name, email) for name, email in USERS}
    assert answers == {True, False}
    assert oracle.valid_user("Ada", "a\x85b@example.com") and not oracle.valid_user("Ada", "a\ufeff@example.com")
