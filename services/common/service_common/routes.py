"""Route templates in the contract's form, whatever syntax a framework's router uses."""

from __future__ import annotations

import re
from functools import lru_cache

_ANGLE = re.compile(r"<(?:[a-z_]+:)?([A-Za-z_][A-Za-z0-9_]*)>")
_BRACE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}")


@lru_cache(maxsize=1024)  # a service has a few dozen routes; called on every request
def route_template(raw: str) -> str:
    """`api/users/<int:user_id>` or `/api/users/{user_id:int}` -> `/api/users/{user_id}`."""
    template = _BRACE.sub(r"{\1}", _ANGLE.sub(r"{\1}", raw))
    return template if template.startswith("/") else "/" + template
