"""The scheduled benchmark on a real kube-controller-manager: the CronJob's concurrency policy keeps a second run
from starting while one is active, so one benchmark runs at a time."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime

from tests.controlplane.conftest import ROOT, ScheduledRelease, restricted_namespace
from tests.controlplane.controlplane import ControlPlane

CRONJOB = "observatory-load-scheduled"


def scheduled_jobs(cp: ControlPlane, ns: str) -> list[dict]:
    """The Jobs the CronJob controller created (owned by the CronJob)."""
    return [
        job
        for job in cp.get_json("jobs", "-n", ns)["items"]
        if any(
            ref["kind"] == "CronJob" and ref["name"] == CRONJOB for ref in job["metadata"].get("ownerReferences", [])
        )
    ]


def reasons(cp: ControlPlane, ns: str) -> list[str]:
    return [
        e["reason"]
        for e in cp.get_json("events", "-n", ns, "--field-selector", f"involvedObject.name={CRONJOB}")["items"]
    ]


def wait_for(what: str, condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1)
    raise AssertionError(f"{what}: not seen within {timeout:.0f} s")


def seconds_to_next_minute() -> float:
    now = datetime.now(UTC)
    return 60 - now.second - now.microsecond / 1e6


def test_a_second_scheduled_run_waits_while_one_is_active(
    scheduled_releases: dict[str, ScheduledRelease], control_plane: ControlPlane
) -> None:
    cp, forbid, allow = control_plane, scheduled_releases["forbid"], scheduled_releases["allow"]
    assert forbid.returncode == 0 and allow.returncode == 0, forbid.output + allow.output
    wait_for("the first scheduled Job", lambda: len(scheduled_jobs(cp, forbid.namespace)) >= 1, 80)
    # the next minute: the controller must decline to start a second Job next to the active one...
    wait_for("the controller declining a second run", lambda: "JobAlreadyActive" in reasons(cp, forbid.namespace),
             seconds_to_next_minute() + 30)  # fmt: skip
    jobs = scheduled_jobs(cp, forbid.namespace)
    assert len(jobs) == 1, [j["metadata"]["name"] for j in jobs]
    assert len(cp.get_json("cronjob", CRONJOB, "-n", forbid.namespace)["status"].get("active", [])) == 1
    # ...where the same CronJob with concurrencyPolicy Allow (seeded fault) has started two side by side by then
    wait_for("two overlapping runs under Allow", lambda: len(scheduled_jobs(cp, allow.namespace)) >= 2, 90)
    active = [j for j in scheduled_jobs(cp, allow.namespace) if not j["status"].get("succeeded")]
    assert len(active) >= 2


def run_benchmark(cp: ControlPlane, ns: str, job: str = "") -> subprocess.CompletedProcess:
    """charts/run-benchmark.sh, what the Tilt UI's benchmark button runs, against this control plane."""
    env = {"CONTEXT": "observatory", "NAMESPACE": ns, **({"JOB": job} if job else {})}
    return cp.run("env", *(f"{k}={v}" for k, v in env.items()), "sh", str(ROOT / "charts" / "run-benchmark.sh"))


def test_the_benchmark_button_refuses_while_a_benchmark_runs(
    scheduled_releases: dict[str, ScheduledRelease], control_plane: ControlPlane
) -> None:
    cp, forbid = control_plane, scheduled_releases["forbid"]
    wait_for("the first scheduled Job", lambda: len(scheduled_jobs(cp, forbid.namespace)) >= 1, 80)
    jobs_before = len(cp.get_json("jobs", "-n", forbid.namespace)["items"])
    done = run_benchmark(cp, forbid.namespace, "manual-while-running")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "one benchmark at a time" in done.stderr
    assert len(cp.get_json("jobs", "-n", forbid.namespace)["items"]) == jobs_before


def test_the_benchmark_button_starts_one_when_none_runs(control_plane: ControlPlane, helm: str, crds: None) -> None:
    cp = control_plane
    ns = restricted_namespace(cp, "benchmark-button")
    done = cp.run(helm, "install", "observatory-load", str(ROOT / "charts" / "observatory-load"), "-n", ns,
                  "--wait", "--timeout", "60s", timeout=90)  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = run_benchmark(cp, ns, "manual-now")
    assert done.returncode == 0, done.stdout + done.stderr
    cp.kubectl("-n", ns, "wait", "--for=condition=Complete", "--timeout=60s", "job/manual-now", timeout=70)
    owner = cp.get_json("job", "manual-now", "-n", ns)["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"]) == ("CronJob", CRONJOB)
