"""The ASGI entry point (the uvicorn profile): sync views run in Django's thread pool."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from django_service.tracing import instrument
from service_common.asgi_limit import ConcurrencyLimit
from service_common.database_budget import pool_size

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_service.settings")
instrument()
# Django runs each request's sync view in its own thread with its own connection: bound them by the pool size
application = ConcurrencyLimit(get_asgi_application(), pool_size())
