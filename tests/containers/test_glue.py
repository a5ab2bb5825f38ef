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
