"""gunicorn's own gthread worker: THREADS requests at a time per worker (default 4), keep-alive on."""

from service_common.gunicorn_profile import *  # noqa: F403
from service_common.gunicorn_profile import gthread_threads

worker_class = "gthread"
threads = gthread_threads()
