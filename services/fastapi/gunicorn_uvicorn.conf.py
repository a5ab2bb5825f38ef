"""gunicorn managing uvicorn's worker class (the uvicorn-worker package): one event loop per worker process.

The worker picks uvloop and httptools (its `loop` and `http` are `auto`, and both are installed), and takes its
keep-alive from gunicorn's `keepalive`.
"""

from service_common.gunicorn_profile import *  # noqa: F403

worker_class = "uvicorn_worker.UvicornWorker"
