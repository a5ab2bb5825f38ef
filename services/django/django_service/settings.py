"""Django settings, read from the environment (service_common.settings) once at start-up."""

from __future__ import annotations

import os
import secrets
from typing import Any
from urllib.parse import unquote, urlparse

from service_common import sqlite
from service_common.settings import get_settings


def database(url: str) -> dict[str, Any]:
    """Django's DATABASES entry for a `sqlite:///path` or `postgresql://user:pass@host:port/db` URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": unquote(parsed.path),
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                "timeout": sqlite.BUSY_TIMEOUT_S,
                "transaction_mode": "IMMEDIATE",  # writers queue on the lock instead of failing to upgrade it
                "init_command": sqlite.init_command(),
            },
        }
    if parsed.scheme in ("postgresql", "postgres"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parsed.path.lstrip("/"),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            # WSGI threads live on and keep one connection each; under ASGI every request has a new thread, so a
            # kept connection would outlive it: closed at the end of the request instead
            "CONN_MAX_AGE": 0 if get_settings().profile == "uvicorn" else 60,
            "CONN_HEALTH_CHECKS": True,
        }
    raise ValueError(f"DATABASE_URL scheme {parsed.scheme!r} is not supported (sqlite or postgresql)")


# A per-process random key when none is given: the service signs nothing that must outlive it.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["*"]
# An API without sessions, auth, admin or CSRF: only the app, CommonMiddleware (which sets Content-Length)
# and the request metrics are installed.
INSTALLED_APPS = ["django_service.bench"]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django_service.bench.middleware.RequestMetricsMiddleware",
]
ROOT_URLCONF = "django_service.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {"default": database(get_settings().database_url)}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
APPEND_SLASH = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
