"""The benchmark data, identical in every service: world rows, TechEmpower's fortunes, users."""

from __future__ import annotations

import random
from collections.abc import Iterator

from service_common.limits import SEEDED_USERS, WORLD_ROWS

SEED = 20240101
# After seeding users with explicit ids, PostgreSQL's sequence still starts at 1: the first insert would collide.
RESET_USERS_SEQUENCE = "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))"
# Deployments of one framework share its PostgreSQL database (one per profile): the first to start creates and seeds
# it while the others wait on this lock, instead of racing to insert the same rows (a crash at start, tests/containers).
INIT_LOCK = f"SELECT pg_advisory_xact_lock({SEED})"  # held until the transaction ends
INIT_LOCK_SESSION = f"SELECT pg_advisory_lock({SEED})"  # held until the connection closes

FORTUNES: tuple[tuple[int, str], ...] = (
    (1, "fortune: No such file or directory"),
    (2, "A computer scientist is someone who fixes things that aren't broken."),
    (3, "After enough decimal places, nobody gives a damn."),
    (4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    (5, "A computer program does what you tell it to do, not what you want it to do."),
    (6, "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen"),
    (7, "Any program that runs right is obsolete."),
    (8, "A list is only as strong as its weakest link. — Donald Knuth"),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    (12, "フレームワークのベンチマーク"),
)


def world_rows() -> Iterator[tuple[int, int]]:
    """(id, randomNumber) for the 10,000 world rows, the same on every start."""
    rng = random.Random(SEED)
    for row_id in range(1, WORLD_ROWS + 1):
        yield row_id, rng.randint(1, WORLD_ROWS)


def users() -> Iterator[tuple[int, str, str]]:
    """(id, name, email) of the seeded users, so that `GET /api/users/{id}` has rows to find."""
    for user_id in range(1, SEEDED_USERS + 1):
        yield user_id, f"User {user_id}", f"user{user_id}@example.com"
