"""Every query of every dashboard, as Grafana would send it to Prometheus with its variables set to "All".

The dashboards (dashboards/*.json) are generated from observatory/queries.py, the one home of the PromQL
(tests/dashboards checks they are current), so these are the queries.py expressions with Grafana's variables.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))


@dataclass(frozen=True)
class DashboardQuery:
    dashboard: str
    panel: str
    expr: str

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel}: {self.expr}"


def dashboard_queries(paths: list[Path] = DASHBOARDS) -> list[DashboardQuery]:
    """Every target's expression of every panel (rows included) and every annotation query."""
    found: list[DashboardQuery] = []
    for path in paths:
        board = json.loads(path.read_text())

        def walk(panels: list[dict], name: str = path.stem) -> None:
            for panel in panels:
                walk(panel.get("panels", []))
                for target in panel.get("targets", []):
                    if target.get("expr"):
                        found.append(DashboardQuery(name, panel.get("title", "?"), target["expr"]))

        walk(board["panels"])
        for annotation in board.get("annotations", {}).get("list", []):
            if annotation.get("expr"):
                found.append(DashboardQuery(path.stem, "annotation " + annotation.get("name", "?"), annotation["expr"]))
    return found


def substitute(expr: str, range_s: int) -> str:
    """Grafana's variables: every template variable as All (`.*`), `$__rate_interval` as Grafana computes it for a 5 s
    scrape (4 × the interval), `$__range` as the dashboard's time range (the test's window)."""
    expr = expr.replace("$__rate_interval", "20s").replace("$__range", f"{range_s}s")
    return re.sub(r"\$\{?([A-Za-z_]+)\}?", ".*", expr)
