"""The charts on the real kind cluster: kubectl and helm against its kubeconfig, a namespace per release (Pod Security
"restricted" enforced), the pods a release runs and the node each runs on, port-forwards to 127.0.0.1 only, and
short-lived pods that send traffic from inside the cluster."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]
BIN = ROOT / ".tools" / "bin"
CHARTS = ROOT / "charts"
ROLE_LABEL = "observatory.dev/role"
# kind nodes report the host's cores, and on this 2-core host the charts' requests (a core per service pod) do not fit:
# every install here lowers the CPU requests only (limits, probes and everything else are the chart's own)
SMALL_HOST_VALUES = Path(__file__).with_name("small-host-values.yaml")


def binary(name: str) -> str:
    """The setup's build first (.tools/bin), then PATH; a missing tool fails the test with what to run."""
    local = BIN / name
    if local.is_file():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise AssertionError(f"{name} is missing: run make setup")
    return found


def chart_images_module() -> ModuleType:
    """tools/images/chart_images.py, the one list of the images the charts name (what `make images` builds)."""
    spec = importlib.util.spec_from_file_location("chart_images", ROOT / "tools" / "images" / "chart_images.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class KubeError(AssertionError):
    """A kubectl or helm command failed; the message has the command and its output."""


@dataclass
class Kube:
    """kubectl and helm against one cluster (its kubeconfig)."""

    kubeconfig: str

    def run(self, *args: str, stdin: str | None = None, timeout: float = 120, check: bool = True) -> str:
        return self._run(binary("kubectl"), args, stdin, timeout, check)

    def helm(self, *args: str, timeout: float = 900, check: bool = True) -> str:
        return self._run(binary("helm"), args, None, timeout, check)

    def _run(self, tool: str, args: tuple[str, ...], stdin: str | None, timeout: float, check: bool) -> str:
        env = {**os.environ, "KUBECONFIG": self.kubeconfig}
        done = subprocess.run([tool, *args], input=stdin, capture_output=True, text=True, timeout=timeout, env=env)
        if check and done.returncode != 0:
            raise KubeError(f"{Path(tool).name} {' '.join(args)[:300]}: exit {done.returncode}\n{done.stderr[-1500:]}")
        return done.stdout if check else done.stdout + done.stderr

    def json(self, *args: str) -> dict:
        return json.loads(self.run(*args, "-o", "json"))

    def nodes_by_role(self) -> dict[str, str]:
        """{role: node name} from the observatory.dev/role labels kind-config.yaml puts on the nodes."""
        return {
            node["metadata"]["labels"][ROLE_LABEL]: node["metadata"]["name"]
            for node in self.json("get", "nodes")["items"]
            if ROLE_LABEL in node["metadata"].get("labels", {})
        }

    def namespace(self, name: str) -> str:
        """A fresh namespace where Pod Security admission enforces the restricted profile."""
        self.run("delete", "namespace", name, "--ignore-not-found", "--wait=true", timeout=300)
        self.run("create", "namespace", name)
        labels = []
        for mode in ("enforce", "warn", "audit"):
            labels += [
                f"pod-security.kubernetes.io/{mode}=restricted",
                f"pod-security.kubernetes.io/{mode}-version=latest",
            ]
        self.run("label", "namespace", name, *labels)
        return name

    def delete_namespace(self, name: str) -> None:
        """Uninstall every release of the namespace, then delete it (with its claims and their volumes)."""
        for release in self.run("-n", name, "get", "secrets", "-l", "owner=helm", "-o",
                                "jsonpath={.items[*].metadata.labels.name}", check=False).split():  # fmt: skip
            self.helm("uninstall", release, "-n", name, "--wait", "--timeout", "3m", check=False)
        self.run("delete", "namespace", name, "--ignore-not-found", "--wait=true", timeout=300, check=False)

    def pods(self, namespace: str, selector: str = "") -> list[dict]:
        args = ["-n", namespace, "get", "pods"] + (["-l", selector] if selector else [])
        return self.json(*args)["items"]

    def wait_for(self, what: str, condition, timeout: float = 300, every: float = 2):  # type: ignore[no-untyped-def]
        """Poll `condition()` until it returns something true; fail with `what` after `timeout` s. A kubectl that
        fails meanwhile is tried again: under load on 2 cores the API server misses TLS handshakes now and then."""
        deadline = time.monotonic() + timeout
        error: KubeError | None = None
        while True:
            try:
                value = condition()
            except KubeError as failed:
                value, error = None, failed
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{what}: not after {timeout:.0f} s" + (f" (last error: {error})" if error else "")
                )
            time.sleep(every)


def ready(pod: dict) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def install(kube: Kube, chart: str, namespace: str, *values: Path, sets: tuple[str, ...] = (), wait: bool = True,
            timeout: str = "10m") -> str:  # fmt: skip
    """`helm install` of charts/<chart> as release <chart> with the values files (and SMALL_HOST_VALUES for the
    services chart), waiting until every workload is ready when `wait`."""
    files = [*values, *([SMALL_HOST_VALUES] if chart == "observatory-services" else [])]
    args = ["install", chart, str(CHARTS / chart), "-n", namespace]
    for path in files:
        args += ["-f", str(path)]
    for item in sets:
        args += ["--set", item]
    if wait:
        args += ["--wait", "--timeout", timeout]
    return kube.helm(*args)


def misplaced(kube: Kube, namespace: str) -> list[str]:
    """Pods not Ready, or not on the node their observatory.dev/role nodeSelector names (one line each)."""
    roles = {name: role for role, name in kube.nodes_by_role().items()}
    wrong = []
    for pod in kube.pods(namespace):
        if pod["status"].get("phase") == "Succeeded":
            continue
        name = pod["metadata"]["name"]
        wanted = (pod["spec"].get("nodeSelector") or {}).get(ROLE_LABEL)
        node = pod["spec"].get("nodeName")
        if wanted is None:
            wrong.append(f"{name}: no {ROLE_LABEL} nodeSelector")
        elif roles.get(node or "") != wanted:
            wrong.append(f"{name}: on {node} ({roles.get(node or '')}), its nodeSelector names {wanted}")
        if not ready(pod):
            wrong.append(f"{name}: not Ready ({pod['status'].get('phase')}: {pod['status'].get('conditions')})")
    return wrong


@contextlib.contextmanager
def port_forward(kube: Kube, namespace: str, target: str, port: int) -> Iterator[str]:
    """`kubectl port-forward TARGET :PORT` on 127.0.0.1 only; yields http://127.0.0.1:<local port>."""
    argv = [binary("kubectl"), "-n", namespace, "port-forward", "--address", "127.0.0.1", target, f":{port}"]
    env = {**os.environ, "KUBECONFIG": kube.kubeconfig}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "Forwarding from 127.0.0.1:41234 -> 8000"
        found = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not found:
            raise AssertionError(f"kubectl port-forward {target}: {line}{process.stdout.read()[-600:]}")
        yield f"http://127.0.0.1:{found[1]}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_pod(kube: Kube, namespace: str, name: str, image: str, command: list[str], role: str = "load",
            timeout: float = 300) -> str:  # fmt: skip
    """One pod (restricted security context) on the node of `role`, run to completion; its log. It fails the test
    when the pod fails."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "observatory-tests"}},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "nodeSelector": {ROLE_LABEL: role},
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "main",
                    "image": image,
                    "imagePullPolicy": "Never",
                    "command": command,
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "64Mi"},
                        "limits": {"cpu": "1", "memory": "256Mi"},
                    },
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    }
    kube.run("-n", namespace, "delete", "pod", name, "--ignore-not-found", "--wait=true")
    kube.run("-n", namespace, "apply", "-f", "-", stdin=json.dumps(pod))

    def finished() -> str | None:
        phase = kube.json("-n", namespace, "get", "pod", name)["status"].get("phase")
        return phase if phase in ("Succeeded", "Failed") else None

    phase = kube.wait_for(f"pod {name}", finished, timeout=timeout)
    log = kube.run("-n", namespace, "logs", name, check=False)
    kube.run("-n", namespace, "delete", "pod", name, "--wait=false", check=False)
    if phase != "Succeeded":
        raise AssertionError(f"pod {name} failed:\n{log[-1500:]}")
    return log
