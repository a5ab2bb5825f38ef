"""The smallest Django project serving the json workload, in one file (benchmarks/parity.py).

The same middleware the service keeps (CommonMiddleware), no apps, no database: what Django itself costs.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, JsonResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="benchmark-only-not-a-secret",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_TZ=True,
)


def json_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Hello, World!"})


def ready(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [path("json", json_view), path("health/ready", ready)]


def _application() -> WSGIHandler:
    import django

    django.setup()
    return WSGIHandler()


application = _application()
