"""Validation as Django forms: the users body and the workloads' query parameters."""

from __future__ import annotations

import re

from django import forms
from django.core.validators import RegexValidator

from service_common.limits import (
    CPU_N_MAX,
    CPU_N_MIN,
    IO_MS_MAX,
    IO_MS_MIN,
    USER_EMAIL_MAX_LENGTH,
    USER_EMAIL_PATTERN,
    USER_NAME_MAX_LENGTH,
    USER_NAME_PATTERN,
)  # fmt: skip
from service_common.params import strict_int


def whole_match(pattern: str) -> re.Pattern[str]:
    """The contract's `^...$` pattern anchored at the very end: RegexValidator searches, and `$` would accept a
    trailing newline (`"Ada\\n"` stored although the contract rejects it)."""
    return re.compile(pattern.removesuffix("$") + r"\Z")


class StrictIntegerField(forms.IntegerField):
    """An integer as the contract spells it: ASCII digits with an optional minus (IntegerField takes `5.0`, `٥`)."""

    def to_python(self, value: object) -> int | None:
        if value in self.empty_values:
            return None
        number = strict_int(str(value))
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class NewUserForm(forms.Form):
    """A user to create."""

    name = forms.CharField(
        max_length=USER_NAME_MAX_LENGTH,
        strip=False,
        validators=[RegexValidator(whole_match(USER_NAME_PATTERN), "must not contain control characters")],
    )
    email = forms.CharField(
        max_length=USER_EMAIL_MAX_LENGTH,
        strip=False,
        validators=[RegexValidator(whole_match(USER_EMAIL_PATTERN), "enter a valid email address")],
    )


class IoForm(forms.Form):
    """The I/O workload's wait."""

    ms = StrictIntegerField(min_value=IO_MS_MIN, max_value=IO_MS_MAX)


class CpuForm(forms.Form):
    """The CPU workload's size."""

    n = StrictIntegerField(min_value=CPU_N_MIN, max_value=CPU_N_MAX)
