"""Django settings, read from the environment (service_common.settings) once at start-up."""

from __future__ import annotations

import os
import secrets
from typing import Any
from urllib.parse import unquote, urlparse

from service_common import sqlite
from service_common.database_budget import pool_size
from service_common.settings import get_settings


def asgi_pool() -> dict[str, Any]:
    """Under ASGI every request runs in a new thread: Django 5.2's psycopg pool, at most DB_POOL_SIZE connections,
    lends each request one (a request waits for a free one up to 30 s)."""
    return {"CONN_MAX_AGE": 0, "OPTIONS": {"pool": {"min_size": 1, "max_size": pool_size(), "timeout": 30}}}


def wsgi_persistent() -> dict[str, Any]:
    """WSGI threads live on: one persistent connection each (`CONN_MAX_AGE`), health-checked before reuse."""
    return {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}


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
            **(asgi_pool() if get_settings().profile == "uvicorn" else wsgi_persistent()),
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
