"""The contract's string patterns, matched as JSON Schema defines them: ECMA-262 regular expressions.

A JSON Schema `pattern` is an ECMA-262 regular expression, searched for in the value (not anchored unless the
pattern anchors itself). Python's `re` is a different dialect: its `\\s` takes `\\x85` and leaves out `\\ufeff`,
its `$` matches before a final newline, its `\\d` and `\\w` are Unicode-wide. Every service validates through
these matchers (the `regress` package, Rust's ECMA-262 engine), so a value is valid exactly when the contract's
own pattern says so.
"""

from __future__ import annotations

from functools import cache

from regress import Regex

from service_common.limits import USER_EMAIL_PATTERN, USER_NAME_PATTERN


@cache
def ecma_regex(pattern: str) -> Regex:
    """`pattern` compiled with ECMA-262 semantics."""
    return Regex(pattern)


def matches(pattern: str, value: str) -> bool:
    """Whether `value` satisfies the JSON Schema `pattern` (an ECMA-262 search, as the schema defines it)."""
    return ecma_regex(pattern).find(value) is not None


def valid_name(value: str) -> bool:
    """NewUser.name's pattern."""
    return matches(USER_NAME_PATTERN, value)


def valid_email(value: str) -> bool:
    """NewUser.email's pattern."""
    return matches(USER_EMAIL_PATTERN, value)
