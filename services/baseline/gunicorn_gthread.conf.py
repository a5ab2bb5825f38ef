"""gunicorn with gthread workers: THREADS requests at a time per worker (default 4), keep-alive on."""

from service_common.gunicorn_profile import *  # noqa: F403
from service_common.gunicorn_profile import gthread_threads

worker_class = "service_common.gunicorn_workers.GuardedThreadWorker"  # gunicorn's gthread worker, bounded request reads
threads = gthread_threads()
