"""gunicorn managing uvicorn workers: one event loop per worker process."""

from service_common.gunicorn_profile import *  # noqa: F403

worker_class = "uvicorn.workers.UvicornWorker"
