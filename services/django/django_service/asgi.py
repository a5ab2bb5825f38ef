"""The ASGI entry point (the uvicorn profile): sync views run in Django's thread pool."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from django_service.tracing import instrument

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_service.settings")
instrument()
application = get_asgi_application()
