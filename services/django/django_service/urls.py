"""The contract's routes."""

from __future__ import annotations

from django.urls import path

from django_service.bench import views

urlpatterns = [
    path("json", views.json_view),
    path("plaintext", views.plaintext),
    path("db", views.db),
    path("queries", views.queries),
    path("updates", views.updates),
    path("fortunes", views.fortunes),
    path("api/users/<int:user_id>", views.get_user),
    path("api/users", views.create_user),
    path("io", views.io),
    path("cpu", views.cpu),
    path("health/live", views.live),
    path("health/ready", views.ready),
    path("metrics", views.metrics),
]

handler404 = "django_service.bench.views.not_found"
handler500 = "django_service.bench.views.server_error"
