"""The app's configuration."""

from __future__ import annotations

from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark app."""

    name = "django_service.bench"
    label = "bench"
