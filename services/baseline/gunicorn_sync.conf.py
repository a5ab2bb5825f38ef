"""gunicorn's own sync worker: one request at a time per worker, no keep-alive (gunicorn_profile has the settings)."""

from service_common.gunicorn_profile import *  # noqa: F403

worker_class = "sync"
