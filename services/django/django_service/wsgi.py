"""The WSGI entry point (gunicorn profiles)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from django_service.tracing import instrument

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_service.settings")
instrument()
application = get_wsgi_application()
