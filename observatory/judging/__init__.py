"""What is true about a run: the SLO, each trial's verdict, and each capacity as a fitted estimate with its interval.

Pure rules over `observatory.results` data: no k6, psutil or Prometheus. `observatory run`, `import-k6`, the
report and `compare` all judge through this package, so a rule changes in one place (docs/judging.md).
"""

from __future__ import annotations

from observatory.judging.capacity import bounds, capacity_ratio, from_trials
from observatory.judging.slo import Slo
from observatory.judging.trial import GUARDS, judge, slo_misses

__all__ = ["GUARDS", "Slo", "bounds", "capacity_ratio", "from_trials", "judge", "slo_misses"]
