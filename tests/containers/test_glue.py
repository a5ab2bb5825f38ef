"""The rules of the small kubelet (kube.py) and of the pod checks, each against a seeded fault: Kubernetes' $(VAR)
expansion, quantities, image names, the kubelet's probe thresholds and the start-up log rule."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.containers.kube import Container, Pod, Probe, expand, normalise_image, quantity
from tests.containers.test_pods import START_ERRORS


def test_env_expansion_is_kubernetes_own() -> None:
    env = {"POSTGRES_PASSWORD": "s3cret", "POD_NAME": "bench-1"}
    url = "postgresql://observatory:$(POSTGRES_PASSWORD)@db:5432/flask"
    assert expand(url, env) == "postgresql://observatory:s3cret@db:5432/flask"
    assert expand("$(POD_NAME)-fastapi-json-50", env) == "bench-1-fastapi-json-50"
    assert expand("$$(POD_NAME) $(UNDEFINED)", env) == "$(POD_NAME) $(UNDEFINED)"  # escaped; unknown kept


def test_quantities_and_image_names() -> None:
    assert quantity("250m") == 0.25 and quantity("1") == 1 and quantity("512Mi") == 512 * 2**20
    assert normalise_image("postgres:16.4-bookworm") == "docker.io/library/postgres:16.4-bookworm"
    assert normalise_image("observatory/flask:dev") == "docker.io/observatory/flask:dev"
    assert normalise_image("registry.k8s.io/kubectl:v1.34.1") == "registry.k8s.io/kubectl:v1.34.1"
    assert normalise_image("localhost:5000/x") == "localhost:5000/x:latest"


def test_the_start_up_log_rule_catches_what_the_flask_image_logged() -> None:
    logged = "[2026-11-28 04:46:27 +0000] [1] [ERROR] Control server error: [Errno 30] Read-only file system"
    assert START_ERRORS.search(logged)
    assert START_ERRORS.search("Traceback (most recent call last):")
    assert not START_ERRORS.search("[2026-11-28 04:46:27 +0000] [1] [INFO] Booting worker with pid: 7")
    assert not START_ERRORS.search('{"error": "not_found"}')  # an error body in a response is not a log error


class Flaky(BaseHTTPRequestHandler):
    """/ok answers 200, /redirect 302 (a success for the kubelet), anything else 500."""

    def do_GET(self) -> None:
        self.send_response({"/ok": 200, "/redirect": 302}.get(self.path, 500))
        self.send_header("location", "/ok")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def run_prober(path: str, kind: str, seconds: float) -> Pod:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    spec = {"httpGet": {"path": path, "port": "http"}, "periodSeconds": 0.1, "failureThreshold": 3}
    pod = Pod(release=None, name="p", workload="Deployment/p", labels={}, spec={}, ip="127.0.0.1")  # type: ignore[arg-type]
    container = Container(pod, "service", {"ports": [{"name": "http", "containerPort": server.server_port}]}, "x")
    container.probes.append(Probe(kind, spec))
    container.exit_code = lambda: None  # type: ignore[method-assign]
    pod.containers.append(container)
    thread = threading.Thread(target=pod.probe_loop, daemon=True)
    thread.start()
    threading.Event().wait(seconds)
    pod._stop.set()
    thread.join()
    server.shutdown()
    return pod


def test_readiness_follows_the_probe_and_a_failing_liveness_probe_is_a_restart() -> None:
    ready = run_prober("/ok", "readiness", 0.5)
    assert ready.containers[0].ready and not ready.events
    redirect = run_prober("/redirect", "readiness", 0.5)
    assert redirect.containers[0].ready  # 2xx and 3xx are successes for the kubelet
    failing = run_prober("/broken", "readiness", 0.5)
    assert not failing.containers[0].ready and not failing.events  # not ready, but not restarted
    dying = run_prober("/broken", "liveness", 0.6)
    assert dying.events and "restart" in dying.events[0]  # 3 failures in a row: the kubelet would restart it


def test_scrape_configs_are_what_the_service_monitor_says() -> None:
    from tests.containers.conftest import prometheus_config

    monitor = {
        "kind": "ServiceMonitor",
        "metadata": {"name": "svc-a"},
        "spec": {
            "selector": {"matchLabels": {"component": "a"}},
            "endpoints": [
                {
                    "port": "web",
                    "path": "/stats",
                    "interval": "7s",
                    "honorLabels": True,
                    "relabelings": [{"sourceLabels": ["__meta_kubernetes_pod_name"], "targetLabel": "instance"}],
                }
            ],
        },
    }
    service = {
        "kind": "Service",
        "metadata": {"name": "svc-a", "labels": {"component": "a"}},
        "spec": {"selector": {"app": "a"}, "ports": [{"name": "web", "port": 80, "targetPort": "http"}]},
    }
    release = type("R", (), {"objects": lambda self, kind: [d for d in (monitor, service) if d["kind"] == kind]})()
    pod = Pod(release=None, name="a-1", workload="Deployment/a", labels={"app": "a"}, spec={}, ip="10.0.0.9")  # type: ignore[arg-type]
    pod.containers.append(Container(pod, "service", {"ports": [{"name": "http", "containerPort": 8000}]}, "x"))
    other = Pod(release=None, name="b-1", workload="Deployment/b", labels={"app": "b"}, spec={}, ip="10.0.0.8")  # type: ignore[arg-type]
    config = prometheus_config(release, [pod, other], "10.0.0.1:9999")  # type: ignore[arg-type]
    job = config["scrape_configs"][0]
    assert job["job_name"] == "serviceMonitor/default/svc-a/0"
    assert (job["metrics_path"], job["scrape_interval"], job["honor_labels"]) == ("/stats", "7s", True)
    assert [g["targets"] for g in job["static_configs"]] == [["10.0.0.9:8000"]]  # port name -> targetPort -> container
    assert job["relabel_configs"][-1] == {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "instance"}
    assert {"target_label": "endpoint", "replacement": "web"} in job["relabel_configs"]
