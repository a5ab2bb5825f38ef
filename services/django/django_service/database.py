"""Schema and seed, once, before workers start: `migrate`, then the benchmark data if the tables are empty."""

from __future__ import annotations

import os


def init_database() -> None:
    """Apply the migrations and seed the data (the launcher's `init`)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_service.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections, transaction

    from django_service.bench.models import Fortune, User, World
    from service_common.seed import FORTUNES, INIT_LOCK_SESSION, users, world_rows

    if connections["default"].vendor == "postgresql":  # released by close_all() below
        with connections["default"].cursor() as cursor:
            cursor.execute(INIT_LOCK_SESSION)
    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        if not World.objects.exists():
            World.objects.bulk_create(World(id=i, randomnumber=n) for i, n in world_rows())
            Fortune.objects.bulk_create(Fortune(id=i, message=m) for i, m in FORTUNES)
            User.objects.bulk_create(User(id=i, name=n, email=e) for i, n, e in users())
            _reset_sequences()
    connections.close_all()


def _reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    from django_service.bench.models import User

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [User]):
            cursor.execute(statement)
