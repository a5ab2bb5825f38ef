"""Validation as Django forms: the users body and the workloads' query parameters."""

from __future__ import annotations

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


class NewUserForm(forms.Form):
    """A user to create."""

    name = forms.CharField(
        max_length=USER_NAME_MAX_LENGTH,
        strip=False,
        validators=[RegexValidator(USER_NAME_PATTERN, "must not contain control characters")],
    )
    email = forms.CharField(
        max_length=USER_EMAIL_MAX_LENGTH,
        strip=False,
        validators=[RegexValidator(USER_EMAIL_PATTERN, "enter a valid email address")],
    )


class IoForm(forms.Form):
    """The I/O workload's wait."""

    ms = forms.IntegerField(min_value=IO_MS_MIN, max_value=IO_MS_MAX)


class CpuForm(forms.Form):
    """The CPU workload's size."""

    n = forms.IntegerField(min_value=CPU_N_MIN, max_value=CPU_N_MAX)
