"""A stand-in for the kubelet's cAdvisor endpoint: the same two series the comparison dashboard reads
(container_cpu_usage_seconds_total, container_memory_working_set_bytes), labelled namespace/pod/container, read
from the same cgroup counters cAdvisor reads (cgroup v1 cpuacct/memory, or v2 cpu.stat/memory.current)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.containers.kube import NAMESPACE, Pod, podman

CGROUP = Path("/sys/fs/cgroup")


def cgroup_paths(pid: int) -> dict[str, Path]:
    """controller -> the process's cgroup folder ('' for the v2 unified hierarchy)."""
    paths = {}
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    found = {}
    for controller, path in paths.items():
        for base in [CGROUP / "cpu,cpuacct", CGROUP / "cpuacct"] if controller == "cpuacct" else [CGROUP / controller]:
            if controller in ("cpuacct", "memory", "") and (base / path.lstrip("/")).is_dir():
                found[controller] = base / path.lstrip("/")
                break
    return found


def stat_value(path: Path, key: str) -> int:
    for line in path.read_text().splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


def usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, working-set bytes) of the cgroup of this process."""
    paths = cgroup_paths(pid)
    if "cpuacct" in paths and "memory" in paths:
        cpu = int((paths["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
        memory = paths["memory"]
        used = int((memory / "memory.usage_in_bytes").read_text())
        return cpu, max(0, used - stat_value(memory / "memory.stat", "total_inactive_file"))
    unified = paths[""]
    cpu = stat_value(unified / "cpu.stat", "usage_usec") / 1e6
    used = int((unified / "memory.current").read_text())
    return cpu, max(0, used - stat_value(unified / "memory.stat", "inactive_file"))


def exposition(pods: list[Pod]) -> str:
    lines = [
        "# TYPE container_cpu_usage_seconds_total counter",
        "# TYPE container_memory_working_set_bytes gauge",
    ]
    for pod in pods:
        for container in pod.containers:
            state = json.loads(podman("inspect", "--format", "{{json .State}}", container.podman_name).stdout or "{}")
            if not state.get("Running"):
                continue
            cpu, memory = usage(int(state["Pid"]))
            labels = f'namespace="{NAMESPACE}",pod="{pod.name}",container="{container.name}"'
            lines.append(f"container_cpu_usage_seconds_total{{{labels}}} {cpu}")
            lines.append(f"container_memory_working_set_bytes{{{labels}}} {memory}")
    return "\n".join(lines) + "\n"


def serve(host: str, pods: list[Pod]) -> ThreadingHTTPServer:
    """Serve /metrics on host (a free port) from a daemon thread; `shutdown()` stops it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = exposition(pods).encode()
            self.send_response(200)
            self.send_header("content-type", "text/plain; version=0.0.4")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="cadvisor-standin").start()
    return server
