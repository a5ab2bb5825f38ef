"""What is true about a run: the SLO, each trial's verdict, and the capacity with its bounds and resolution.

Pure rules over `observatory.results` data: no k6, psutil or Prometheus. `observatory run`, `import-k6`, the
report and `compare` all judge through this package, so a rule changes in one place.
"""

from __future__ import annotations

from observatory.judging.capacity import bounds, from_trials, is_lower_bound, repeat_outcomes, summarise
from observatory.judging.slo import Slo
from observatory.judging.trial import (
    GUARDS,
    INVALID,
    MISS,
    PASS,
    judge,
    needs_retry,
    rate_verdict,
    search_verdict,
    slo_misses,
)

__all__ = [
    "GUARDS",
    "INVALID",
    "MISS",
    "PASS",
    "Slo",
    "bounds",
    "from_trials",
    "is_lower_bound",
    "judge",
    "needs_retry",
    "rate_verdict",
    "repeat_outcomes",
    "search_verdict",
    "slo_misses",
    "summarise",
]
