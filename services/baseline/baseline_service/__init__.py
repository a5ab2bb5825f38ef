"""Framework-less baselines: a raw ASGI app and a raw WSGI app, each server's ceiling."""
