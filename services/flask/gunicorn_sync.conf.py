"""gunicorn with sync workers: one request at a time per worker, no keep-alive."""

from service_common.gunicorn_profile import *  # noqa: F403

worker_class = "service_common.gunicorn_workers.GuardedSyncWorker"  # gunicorn's sync worker, bounded request reads
