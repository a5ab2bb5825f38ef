"""The Flask service: sync views, hand-written validation, Jinja2 templates, SQLAlchemy."""
