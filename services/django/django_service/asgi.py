"""The ASGI entry point (the uvicorn profile): Django's own ASGI handler; sync views run in its thread pool.

Database connections are bounded by Django 5.2's psycopg pool (settings: `OPTIONS["pool"]`), not by the server.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from django_service.tracing import instrument

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_service.settings")
instrument()
application = get_asgi_application()
