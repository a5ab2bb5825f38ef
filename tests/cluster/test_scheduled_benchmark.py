"""The scheduled benchmark's pod, run step by step on this machine with the real k6, a real Prometheus and import-k6.

The chart renders the pod (a replica sweep of a short ladder); this test runs its k6 and publish containers in order,
exactly as rendered (command, arguments, environment with Kubernetes' $(VAR) expansion), with three translations a
cluster would make: /scripts is loadtests/, /results is a temporary folder, and the Service's DNS name is a server on
loopback. The kubectl steps are checked for order and arguments here; tests/controlplane runs them as the
ServiceAccount against a real API server, and tests/kind runs the whole pod on a real kind cluster.

The loopback server stands in for a service whose capacity grows with replicas: it answers within a millisecond while
the offered rate is at most 10 req/s per replica, and in 1.2 s (over the test's 1 s SLO) above that. So the ladder
[10, 20] must find 10 req/s at one replica and at least 20 at two, and k6 exits 99 (a threshold failed) at 20 req/s
on one replica: the run must go on regardless.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from observatory import tools
from observatory.k6_summaries import runs_from_summaries
from observatory.run.prometheus import LocalPrometheus
from tests.cluster.rendering import ROOT, helm
from tests.loopback import serving

POD_NAME = "observatory-load-scheduled-29000000-abcde"
NAMESPACE = "default"
PER_REPLICA_RPS = 10
# over the test's 1 s SLO (a shared machine stays far below it when the server is fast)
SLOW = 1.2

VALUES = """
replicaSweep:
  replicas: [1, 2]
slo:
  p99Ms: 1000
  errorRate: 0.01
benchmarks:
  - {name: fastapi-json, service: fastapi-uvicorn, framework: fastapi, profile: uvicorn, workload: json,
     scenario: constant, rates: [10, 20], duration: 2s, warmup: 1s, maxVus: 20}
"""


class Target(BaseHTTPRequestHandler):
    """A service on loopback whose latency depends on the offered rate per replica (set by the test per step)."""

    delay = 0.0

    def do_GET(self) -> None:
        if self.path.startswith("/health/"):
            body = b'{"status": "ok"}'
        elif self.path == "/json":
            time.sleep(Target.delay)
            body = b'{"message": "Hello, World!"}'
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Target)) as url:
        yield url


def render_pod(tmp: Path, remote_write_url: str) -> dict:
    values = tmp / "values.yaml"
    values.write_text(VALUES)
    done = subprocess.run(
        [helm(), "template", "observatory-load", str(ROOT / "charts/observatory-load"), "--values", str(values),
         "--set", f"remoteWriteUrl={remote_write_url}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (cron,) = [d for d in yaml.safe_load_all(done.stdout) if d and d["kind"] == "CronJob"]
    return cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def environment(container: dict, translate) -> dict[str, str]:
    """The container's environment as the kubelet builds it: field refs, then $(VAR) from earlier entries."""
    fields = {"metadata.name": POD_NAME, "metadata.namespace": NAMESPACE}
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "valueFrom" in item:
            env[item["name"]] = fields[item["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            value = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), item["value"])
            env[item["name"]] = translate(value)
    return env


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory, target: str) -> dict:
    """Run the pod's steps in order; what each did."""
    tmp = tmp_path_factory.mktemp("scheduled")
    results = tmp / "results"
    results.mkdir()
    k6 = tools.find("k6")
    assert k6, "k6 is missing: run make setup"

    def translate(text: str) -> str:
        text = text.replace("/scripts/", f"{ROOT / 'loadtests'}/").replace("/results/", f"{results}/")
        return re.sub(r"http://observatory-services-[a-z-]+:8000", target, text)

    with LocalPrometheus(tmp / "prometheus") as prometheus:
        pod = render_pod(tmp, prometheus.remote_write_url)
        steps = [*pod.get("initContainers", []), *pod["containers"]]
        outcomes = []
        replicas = 1
        for step in steps:
            if step["command"] == ["kubectl"]:
                # the Deployment's scale in this stand-in: the scale steps set it (restore steps set it back)
                if step["args"][0] == "scale":
                    replicas = int(next(a for a in step["args"] if a.startswith("--replicas=")).split("=")[1])
                outcomes.append({"name": step["name"], "kind": "kubectl", "args": step["args"]})
                continue
            env = environment(step, translate)
            rate = float(env.get("RATE", 0))
            Target.delay = 0.0 if rate <= PER_REPLICA_RPS * replicas else SLOW
            script = translate(step["args"][0])
            done = subprocess.run(
                [*step["command"], script],
                env={"PATH": f"{Path(k6).parent}:/usr/bin:/bin", "HOME": str(tmp), **env},
                capture_output=True, text=True, timeout=120, cwd=tmp,
            )  # fmt: skip
            outcomes.append(
                {"name": step["name"], "kind": "k6", "code": done.returncode, "out": done.stdout + done.stderr}
            )
            if done.returncode != 0:
                break  # as the kubelet does: an init container that fails ends the pod (restartPolicy Never)
        time.sleep(1)  # the last remote-write flush
        published = prometheus.query("k6_observatory_capacity_rps")
        p99 = prometheus.query("k6_observatory_capacity_p99_seconds")
        k6_series = prometheus.query("count by (testid, run) (k6_http_reqs_total)")
    return {"steps": outcomes, "results": results, "published": published, "p99": p99, "k6_series": k6_series}


def test_the_ladder_runs_every_rate_whatever_k6_exits(ran: dict) -> None:
    k6_steps = [s for s in ran["steps"] if s["kind"] == "k6" and not s["name"].endswith("-publish")]
    assert [s["name"] for s in k6_steps] == ["r1-fastapi-json-10", "r1-fastapi-json-20", "r2-fastapi-json-10",
                                             "r2-fastapi-json-20"]  # fmt: skip
    # each step's shell exits 0, so the pod goes on; k6's own code is in its log: 99 where the SLO was missed
    assert all(s["code"] == 0 for s in ran["steps"] if s["kind"] == "k6"), [s["out"][-500:] for s in k6_steps]
    codes = [re.search(r"k6 exited (\d+)", s["out"]).group(1) for s in k6_steps]
    assert codes == ["0", "99", "0", "0"], [s["out"][-800:] for s in k6_steps]
    written = sorted(p.name for p in ran["results"].glob("*.json"))
    assert written == sorted(f"{POD_NAME}-{s['name']}.json" for s in k6_steps)


def test_the_sweep_scales_before_each_ladder_and_restores_after(ran: dict) -> None:
    order = [(s["name"], s["args"][:2]) for s in ran["steps"] if s["kind"] == "kubectl"]
    assert [name for name, _ in order] == [
        "r1-fastapi-json-scale", "r1-fastapi-json-ready", "r1-fastapi-json-restore",
        "r2-fastapi-json-scale", "r2-fastapi-json-ready", "r2-fastapi-json-restore",
    ]  # fmt: skip
    names = [s["name"] for s in ran["steps"]]
    for n in (1, 2):
        # ready before the first rate, publish after the last, restore after the publish
        assert names.index(f"r{n}-fastapi-json-ready") < names.index(f"r{n}-fastapi-json-10")
        assert names.index(f"r{n}-fastapi-json-20") < names.index(f"r{n}-fastapi-json-publish")
        assert names.index(f"r{n}-fastapi-json-publish") < names.index(f"r{n}-fastapi-json-restore")
    scale = next(s for s in ran["steps"] if s["name"] == "r2-fastapi-json-scale")
    assert scale["args"][:3] == ["scale", "deployment/observatory-services-fastapi-uvicorn", "--replicas=2"]


def test_each_capacity_reaches_prometheus_with_its_replica_count(ran: dict) -> None:
    found = {s["metric"]["replicas"]: float(s["value"][1]) for s in ran["published"]}
    assert found == {"1": 10.0, "2": 20.0}
    # the p99 at capacity is the measured window's (after the warm-up), under the SLO
    p99 = {s["metric"]["replicas"]: float(s["value"][1]) for s in ran["p99"]}
    assert p99.keys() == {"1", "2"} and all(0 < v < 1.0 for v in p99.values())
    summary = json.loads(next(ran["results"].glob("*-r1-fastapi-json-10.json")).read_text())
    assert summary["observatory"]["measured"] == "phase:measured"
    measured = summary["metrics"]["http_req_duration{phase:measured}"]["values"]["p(99)"]
    assert p99["1"] == pytest.approx(measured / 1000)
    labels = ran["published"][0]["metric"]
    assert labels["run"] == POD_NAME and labels["framework"] == "fastapi" and labels["workload"] == "json"


def test_k6s_own_series_keep_the_scripts_tags(ran: dict) -> None:
    """Every rate's requests are in Prometheus under its own testid (which names the replica count) and run."""
    found = {(s["metric"].get("testid", ""), s["metric"].get("run")) for s in ran["k6_series"]}
    assert found == {(f"{POD_NAME}-r{n}-fastapi-json-{rate}", POD_NAME) for n in (1, 2) for rate in (10, 20)}


def test_import_k6_reads_replicas_as_the_scaling_unit(ran: dict) -> None:
    for path in ran["results"].glob("*.json"):
        asked = json.loads(path.read_text())["observatory"]
        assert asked["replicas"] == int(re.search(r"-r(\d)-", path.name).group(1))
        assert asked["hostCpus"] == len(os.sched_getaffinity(0))  # the publish step's nproc, for the report's words
    (run,) = runs_from_summaries(ran["results"])
    assert run.run_id == POD_NAME and run.settings["scaling_unit"] == "replicas"
    assert run.environment["host_cpus"] == len(os.sched_getaffinity(0))
    capacity = {c.workers: c for c in run.capacity}
    # one replica met the SLO at 10 req/s and missed at 20: the fit places it between; two met it at both: ≥ 20
    assert capacity[1].estimate is not None and 10.0 <= capacity[1].estimate < 20.0
    assert capacity[2].estimate == 20.0 and capacity[2].lower_bound
