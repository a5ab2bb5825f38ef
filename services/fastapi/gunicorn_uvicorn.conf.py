"""gunicorn managing uvicorn workers: one event loop per worker process."""

from service_common.gunicorn_profile import *  # noqa: F403

worker_class = "service_common.uvicorn_worker.GuardedUvicornWorker"  # uvicorn's worker, bounded request reads
