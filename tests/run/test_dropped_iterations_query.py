"""The load-generator dashboard's dropped-iterations query, evaluated by Prometheus's own promtool: zero while k6 keeps
up (k6 sends no dropped-iterations series until it drops one, and a panel without data reads as a broken scrape),
and the drop rate once it falls behind. tests/kind/monitoring asks every dashboard query for data after a benchmark
that drops nothing, so this panel must not be empty."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from observatory import tools
from observatory.queries import Matchers, k6_dropped_iterations


def evaluate(tmp_path: Path, series: list[dict], expected: list[dict]) -> subprocess.CompletedProcess[str]:
    promtool = tools.find("promtool")
    assert promtool, "promtool is missing: run make setup (apt-get install prometheus)"
    case = {
        "rule_files": [],
        "evaluation_interval": "5s",
        "tests": [
            {
                "interval": "5s",
                "input_series": series,
                "promql_expr_test": [
                    {
                        "expr": k6_dropped_iterations(Matchers.of(framework="$framework"), "20s").replace(
                            "$framework", ".*"
                        ),
                        "eval_time": "1m",
                        "exp_samples": expected,
                    }
                ],
            }
        ],
    }
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(case))
    return subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)


ITERATIONS = {"series": 'k6_iterations_total{framework="flask"}', "values": "0+10x20"}


def test_zero_while_k6_drops_nothing(tmp_path: Path) -> None:
    done = evaluate(tmp_path, [ITERATIONS], [{"labels": '{framework="flask"}', "value": 0}])
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_drop_rate_once_k6_falls_behind(tmp_path: Path) -> None:
    dropped = {"series": 'k6_dropped_iterations_total{framework="flask"}', "values": "0+5x20"}
    done = evaluate(tmp_path, [ITERATIONS, dropped], [{"labels": '{framework="flask"}', "value": 1}])
    assert done.returncode == 0, done.stdout + done.stderr
