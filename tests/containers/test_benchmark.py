"""The scheduled benchmark's pod, run for real against the running services: its init containers in order, then
its container, on a short ladder (load-ci-values.yaml); it completes past the runs that miss the SLO, leaves one
summary per rate on the results claim, and `observatory import-k6` and `observatory report` read them."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import yaml

from tests.containers.conftest import LOAD_VALUES, Benchmark
from tests.containers.kube import ROOT, release, render


def observatory(*args: str) -> str:
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "observatory"), *args], capture_output=True, text=True)
    assert done.returncode == 0, f"observatory {args[0]}: {done.stdout}{done.stderr}"
    return done.stdout


def test_every_step_ran_in_order_and_completed(benchmark: Benchmark) -> None:
    assert [name for name, _, _ in benchmark.pod.init_results] == benchmark.steps
    assert all(code == 0 for _, code, _ in benchmark.pod.init_results)


def test_one_summary_per_rate_where_the_chart_says(benchmark: Benchmark) -> None:
    rates = sum(len(b["rates"]) for b in yaml.safe_load(LOAD_VALUES.read_text())["benchmarks"])
    summaries = sorted(benchmark.summaries.glob("*.json"))
    assert len(summaries) == rates, [s.name for s in summaries]
    # SUMMARY_PATH is /results/$(TESTID).json, TESTID $(POD_NAME)-<benchmark>-<rate>
    assert all(s.name.startswith(benchmark.pod.name + "-") for s in summaries), [s.name for s in summaries]


def test_import_k6_and_report_read_the_summaries(benchmark: Benchmark, tmp_path: Path) -> None:
    printed = observatory("import-k6", str(benchmark.summaries), "--output", str(tmp_path))
    runs = sorted(tmp_path.glob("*/results.json"))
    assert len(runs) == 1, printed
    results = json.loads(runs[0].read_text())
    rates = sum(len(b["rates"]) for b in yaml.safe_load(LOAD_VALUES.read_text())["benchmarks"])
    assert len(results["trials"]) == rates
    assert any(not trial["slo_met"] for trial in results["trials"]), (
        "no run missed the SLO: the pod's going on past a miss is not shown"
    )
    observatory("report", str(runs[0].parent))
    assert (runs[0].parent / "report.html").stat().st_size > 1000


def test_the_replica_sweeps_kubectl_image_runs_under_its_steps_security_context(tmp_path: Path) -> None:
    """podman has no API server, so the sweep's kubectl steps (scale, rollout status) cannot do their work here:
    the CI ladder turns the sweep off, and tests/controlplane runs those steps against a real kube-apiserver.
    What is checked here: the chart's kubectl image starts under the step's own user, read-only root, dropped
    capabilities and limits, with `version --client` as its args and only its tmp volume (no service account token)."""
    docs = render("observatory-load")  # the defaults: the sweep is on
    cronjob = next(doc for doc in docs if doc["kind"] == "CronJob")
    spec = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    steps = [c for c in spec.get("initContainers", []) if (c.get("command") or [""])[0] == "kubectl"]
    assert steps, "the default schedule has no kubectl step"
    step = {**steps[0], "args": ["version", "--client"]}
    step["volumeMounts"] = [m for m in step.get("volumeMounts", []) if m["name"] == "tmp"]
    probe = copy.deepcopy(cronjob)
    pod_spec = probe["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    pod_spec.update(initContainers=[], containers=[step], volumes=[v for v in spec["volumes"] if v["name"] == "tmp"])
    with release(docs, tmp_path, "kubectl") as running:
        pod = running.run_job_pod(probe, timeout=60)
        assert "Client Version: v1." in pod.containers[0].logs()
