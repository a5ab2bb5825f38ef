"""Validation as Django forms: the users body and the workloads' query parameters."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from service_common.limits import (
    CPU_N_MAX,
    CPU_N_MIN,
    IO_MS_MAX,
    IO_MS_MIN,
    USER_EMAIL_MAX_LENGTH,
    USER_NAME_MAX_LENGTH,
)  # fmt: skip
from service_common.params import strict_int
from service_common.patterns import valid_email, valid_name


@deconstructible
class ContractPattern:
    """A Django validator for one of the contract's patterns, matched as JSON Schema says (ECMA-262).

    Django's RegexValidator uses Python's re, whose `\\s` and `$` differ from the contract's dialect.
    """

    def __init__(self, check: Callable[[str], bool], message: str) -> None:
        self.check = check
        self.message = message

    def __call__(self, value: str) -> None:
        if not self.check(value):
            raise ValidationError(self.message, code="invalid")


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
        validators=[ContractPattern(valid_name, "must not contain control characters")],
    )
    email = forms.CharField(
        max_length=USER_EMAIL_MAX_LENGTH,
        strip=False,
        validators=[ContractPattern(valid_email, "enter a valid email address")],
    )


class IoForm(forms.Form):
    """The I/O workload's wait."""

    ms = StrictIntegerField(min_value=IO_MS_MIN, max_value=IO_MS_MAX)


class CpuForm(forms.Form):
    """The CPU workload's size."""

    n = StrictIntegerField(min_value=CPU_N_MIN, max_value=CPU_N_MAX)
