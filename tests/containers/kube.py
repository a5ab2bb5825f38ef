"""Just enough of a kubelet to run the charts' pods with podman: the pod spec as rendered, nothing else.

A `Release` is one `helm template` of a chart on its own podman network (a network namespace per pod, DNS
names for the Services that select it). `Release.start_pod` runs a workload's pod as the kubelet would:
image (never pulled), command and args with $(VAR) expansion, env from values, Secrets, ConfigMaps and the
downward API, the security context (user, group, fsGroup, read-only root, no privilege escalation, dropped
capabilities), volumes (emptyDir and claims as fresh host folders owned by fsGroup, Secrets and ConfigMaps as
files), CPU and memory limits, and probes run with their own path, port, period, timeout and thresholds.
Every failure names the pod, the container and the step. podman kube play is not used: podman 4.3 cannot
resolve secretKeyRef from a Secret in the same file, and it replaces the probes with its own healthchecks.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / ".tools" / "bin" / "helm"
NAMESPACE = "default"


class PodFailure(AssertionError):
    """A pod did not do what Kubernetes would need it to do; the message names pod, container and step."""

    def __init__(self, pod: str, container: str, step: str, detail: str) -> None:
        super().__init__(f"pod {pod}, container {container}: {step}: {detail}")


def podman_path() -> str:
    """podman, or a failing assertion: the setup installs it (make system-packages), so its absence is a failure."""
    path = shutil.which("podman")
    assert path, "podman is missing: run make test-packages (apt-get install podman runc debootstrap)"
    assert shutil.which("runc"), "runc is missing: run make test-packages"
    return path


def hard_limit(flag: str) -> int:
    """The shell's hard limit (ulimit -Hn / -Hu), capped (nofile 65536, nproc 32768, as tools/images/podman.sh):
    runc refuses limits above the hard one, and here refused nproc 50000 under a hard limit of 96365."""
    cap = 65536 if flag == "n" else 32768
    out = subprocess.run(["sh", "-c", f"ulimit -H{flag}"], capture_output=True, text=True).stdout.strip()
    return cap if out in ("", "unlimited") else min(int(out), cap)


def podman(*args: str, check: bool = True, timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess:
    """Run podman with runc (crun fails on these hybrid cgroups)."""
    done = subprocess.run(
        [podman_path(), "--runtime", "runc", *args], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args[:3])} failed: {done.stderr.strip()[-800:]}")
    return done


def render(
    chart: str, values: Path | None = None, release: str | None = None, sets: tuple[str, ...] = ()
) -> list[dict]:
    """The chart's objects as `helm template` renders them (defaults, or with a values file and --set)."""
    assert HELM.exists(), f"helm is missing at {HELM}: run make helm"
    command = [str(HELM), "template", release or chart, str(ROOT / "charts" / chart), "--namespace", NAMESPACE]
    if values is not None:
        command += ["-f", str(values)]
    for item in sets:
        command += ["--set", item]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, f"helm template {chart} {values or ''}: {done.stderr.strip()}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def normalise_image(image: str) -> str:
    """The fully qualified name container runtimes resolve a short image name to."""
    name, tag = image.rsplit(":", 1) if ":" in image.split("/")[-1] else (image, "latest")
    first = name.split("/")[0]
    if "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}"
    return f"{name}:{tag}"


def quantity(value: str | int | float) -> float:
    """A Kubernetes quantity as a number: 250m -> 0.25, 512Mi -> 536870912, 1G -> 1e9."""
    text = str(value)
    units = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text)
    assert match and (match.group(2) in units or not match.group(2)), f"not a quantity: {text}"
    return float(match.group(1)) * units.get(match.group(2), 1)


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined variables are replaced, $$ escapes, unknown references stay."""

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)", one, text)


def pod_template(doc: dict) -> tuple[dict, dict]:
    """(metadata, spec) of a workload's pod template (Deployment, StatefulSet, Job, CronJob)."""
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"].get("metadata") or {}, spec["template"]["spec"]


def pod_name(doc: dict) -> str:
    """A name as the controllers would give the pod: <name>-<hash>-<x> (Deployment), <name>-0 (StatefulSet)."""
    name = doc["metadata"]["name"]
    suffix = secrets.token_hex(3)[:5]
    return {
        "StatefulSet": f"{name}-0",
        "Deployment": f"{name}-{secrets.token_hex(5)[:9]}-{suffix}",
        "CronJob": f"{name}-{int(time.time() // 60)}-{suffix}",
    }.get(doc["kind"], f"{name}-{suffix}")


@dataclass
class Probe:
    """One probe of one container, run as the kubelet runs it; counts results and records failures."""

    kind: str  # readiness, liveness or startup
    spec: dict
    successes: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_error: str = ""

    @property
    def period(self) -> float:
        return float(self.spec.get("periodSeconds", 10))

    @property
    def timeout(self) -> float:
        return float(self.spec.get("timeoutSeconds", 1))

    @property
    def initial_delay(self) -> float:
        return float(self.spec.get("initialDelaySeconds", 0))

    @property
    def failure_threshold(self) -> int:
        return int(self.spec.get("failureThreshold", 3))

    @property
    def success_threshold(self) -> int:
        return int(self.spec.get("successThreshold", 1))


@dataclass
class Container:
    """One running (or finished) container of a pod."""

    pod: Pod
    name: str
    spec: dict
    podman_name: str
    probes: list[Probe] = field(default_factory=list)
    ready: bool = False
    consecutive_successes: int = 0

    def fail(self, step: str, detail: str) -> PodFailure:
        return PodFailure(self.pod.name, self.name, step, detail)

    def logs(self) -> str:
        done = podman("logs", self.podman_name, check=False)
        return done.stdout + done.stderr

    def state(self) -> dict:
        done = podman("inspect", "--format", "{{json .State}}", self.podman_name, check=False)
        return json.loads(done.stdout) if done.returncode == 0 else {}

    def running(self) -> bool:
        return bool(self.state().get("Running"))

    def exit_code(self) -> int | None:
        state = self.state()
        return None if state.get("Running") else state.get("ExitCode")

    def port(self, port: int | str) -> int:
        """A probe's or ServiceMonitor's port: a number, or the name of one of the container's ports."""
        if isinstance(port, int) or str(port).isdigit():
            return int(port)
        for declared in self.spec.get("ports", []):
            if declared.get("name") == port:
                return int(declared["containerPort"])
        raise self.fail("port", f"no container port named {port!r}")

    def run_probe(self, probe: Probe) -> tuple[bool, str]:
        """One probe attempt: httpGet (200-399), tcpSocket (connects) or exec (exit 0), within timeoutSeconds."""
        spec = probe.spec
        try:
            if "httpGet" in spec:
                get = spec["httpGet"]
                host = get.get("host") or self.pod.ip
                url = f"{get.get('scheme', 'HTTP').lower()}://{host}:{self.port(get['port'])}{get.get('path', '/')}"
                request = urllib.request.Request(
                    url, headers={h["name"]: h["value"] for h in get.get("httpHeaders", [])}
                )
                request.add_header("User-Agent", "kube-probe/1.34")
                try:
                    with urllib.request.urlopen(request, timeout=probe.timeout) as response:
                        status = response.status
                except urllib.error.HTTPError as error:
                    status = error.code
                return 200 <= status < 400, f"GET {url} answered {status}"
            if "tcpSocket" in spec:
                port = self.port(spec["tcpSocket"]["port"])
                with socket.create_connection((spec["tcpSocket"].get("host") or self.pod.ip, port), probe.timeout):
                    return True, "connected"
            if "exec" in spec:
                command = spec["exec"]["command"]
                done = podman("exec", self.podman_name, *command, check=False, timeout=probe.timeout + 5)
                return done.returncode == 0, f"{' '.join(command)} exited {done.returncode}: {done.stdout}{done.stderr}"
            return False, f"unsupported probe {sorted(spec)}"
        except (OSError, subprocess.TimeoutExpired) as error:
            return False, f"{type(error).__name__}: {error}"


@dataclass
class Pod:
    """A pod started by `Release.start_pod`."""

    release: Release
    name: str
    workload: str
    labels: dict
    spec: dict
    ip: str = ""
    containers: list[Container] = field(default_factory=list)
    init_results: list[tuple[str, int, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _prober: threading.Thread | None = None
    events: list[str] = field(default_factory=list)

    def container(self, name: str | None = None) -> Container:
        return next(c for c in self.containers if name is None or c.name == name)

    def probe_loop(self) -> None:
        """The kubelet's prober: each probe at its own period after its initial delay, readiness from thresholds."""
        started = time.monotonic()
        due = {(id(c), p.kind): started + p.initial_delay for c in self.containers for p in c.probes}
        while not self._stop.is_set():
            now = time.monotonic()
            for container in self.containers:
                startup = next((p for p in container.probes if p.kind == "startup"), None)
                for probe in container.probes:
                    key = (id(container), probe.kind)
                    if now < due[key] or (probe.kind != "startup" and startup and startup.successes == 0):
                        continue
                    due[key] = now + probe.period
                    ok, detail = container.run_probe(probe)
                    if ok:
                        probe.successes += 1
                        probe.consecutive_failures = 0
                        container.consecutive_successes += probe.kind == "readiness"
                        if probe.kind == "readiness" and container.consecutive_successes >= probe.success_threshold:
                            container.ready = True
                    else:
                        probe.failures += 1
                        probe.consecutive_failures += 1
                        probe.last_error = detail
                        if probe.kind == "readiness":
                            container.consecutive_successes = 0
                            if probe.consecutive_failures >= probe.failure_threshold:
                                container.ready = False
                        if (
                            probe.kind in ("liveness", "startup")
                            and probe.consecutive_failures >= probe.failure_threshold
                        ):
                            self.events.append(
                                f"container {container.name}: {probe.kind} probe failed {probe.consecutive_failures} "
                                f"times in a row, the kubelet would restart it: {detail}"
                            )
                            probe.consecutive_failures = 0
            self._stop.wait(0.2)

    def wait_ready(self, timeout: float = 120) -> None:
        """Until every container with a readiness probe is ready; fails on exit, a liveness kill or the deadline."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for container in self.containers:
                code = container.exit_code()
                if code is not None:
                    raise container.fail("start", f"exited with {code} before it was ready:\n{tail(container.logs())}")
            if self.events:
                raise PodFailure(self.name, "-", "probes", self.events[0])
            if all(c.ready or not any(p.kind == "readiness" for p in c.probes) for c in self.containers):
                return
            time.sleep(0.25)
        waiting = next(c for c in self.containers if not c.ready)
        probe = next(p for p in waiting.probes if p.kind == "readiness")
        raise waiting.fail(
            "readiness probe",
            f"not ready after {timeout:.0f} s ({probe.failures} failures, last: {probe.last_error}):\n{tail(waiting.logs())}",
        )

    def wait_exit(self, container: Container, timeout: float) -> int:
        """The container's exit code once it finishes (a Job's container), or a failure at the deadline."""
        done = podman("wait", container.podman_name, check=False, timeout=timeout)
        if done.returncode != 0:
            raise container.fail("run", f"did not finish in {timeout:.0f} s: {done.stderr.strip()}")
        return int(done.stdout.strip().splitlines()[-1])

    def stop(self) -> None:
        self._stop.set()
        if self._prober is not None:
            self._prober.join(timeout=5)
        for container in self.containers:
            podman("rm", "--force", "--time", "5", container.podman_name, check=False)


def tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class Release:
    """A rendered chart on a podman network of its own; `close` removes every container, folder and the network."""

    def __init__(self, docs: list[dict], workdir: Path, name: str = "release", network: str | None = None) -> None:
        self.docs = docs
        self.workdir = workdir
        self.name = name
        self.pods: list[Pod] = []
        self.claims: dict[str, Path] = {}
        self.extra_hosts: dict[str, str] = {}
        self.owns_network = network is None
        self.network = network or f"obs-{name}-{secrets.token_hex(3)}"
        if self.owns_network:
            podman("network", "create", self.network)
        info = json.loads(podman("network", "inspect", self.network).stdout)[0]
        self.gateway = info["subnets"][0]["gateway"]

    def objects(self, kind: str) -> list[dict]:
        return [doc for doc in self.docs if doc.get("kind") == kind]

    def named(self, kind: str, name: str) -> dict:
        found = [doc for doc in self.objects(kind) if doc["metadata"]["name"] == name]
        assert found, f"the chart renders no {kind} named {name}"
        return found[0]

    def workloads(self, kinds: tuple[str, ...] = ("StatefulSet", "Deployment")) -> list[dict]:
        """Workloads of these kinds, StatefulSets first (PostgreSQL before the services that need it)."""
        return sorted(
            (doc for doc in self.docs if doc.get("kind") in kinds),
            key=lambda d: (kinds.index(d["kind"]), d["metadata"]["name"]),
        )

    def services_selecting(self, labels: dict) -> list[dict]:
        """The Services whose selector matches these pod labels (their names resolve to the pod)."""
        return [
            svc
            for svc in self.objects("Service")
            if svc["spec"].get("selector") and all(labels.get(k) == v for k, v in svc["spec"]["selector"].items())
        ]

    def secret_value(self, name: str, key: str) -> str:
        secret = self.named("Secret", name)
        if key in (secret.get("stringData") or {}):
            return secret["stringData"][key]
        return base64.b64decode(secret["data"][key]).decode()

    def configmap_value(self, name: str, key: str) -> str:
        return self.named("ConfigMap", name)["data"][key]

    # ---- pod set-up, as the kubelet does it ----

    def resolve_env(self, pod: str, container: dict, resources: dict) -> dict[str, str]:
        env: dict[str, str] = {}
        for source in container.get("envFrom", []):
            prefix = source.get("prefix", "")
            if "configMapRef" in source:
                data = self.named("ConfigMap", source["configMapRef"]["name"]).get("data") or {}
            else:
                secret = self.named("Secret", source["secretRef"]["name"])
                data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
            env.update({prefix + k: v for k, v in data.items()})
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = expand(str(item["value"]), env)
                continue
            source = item["valueFrom"]
            if "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                env[item["name"]] = self.secret_value(ref["name"], ref["key"])
            elif "configMapKeyRef" in source:
                ref = source["configMapKeyRef"]
                env[item["name"]] = self.configmap_value(ref["name"], ref["key"])
            elif "fieldRef" in source:
                path = source["fieldRef"]["fieldPath"]
                env[item["name"]] = {"metadata.name": pod, "metadata.namespace": NAMESPACE, "spec.nodeName": "podman"}[
                    path
                ]
            elif "resourceFieldRef" in source:
                ref = source["resourceFieldRef"]
                limit = resources.get("limits", {}).get(ref["resource"].split(".", 1)[1])
                env[item["name"]] = str(int(quantity(limit) / quantity(ref.get("divisor", 1)))) if limit else "0"
        return env

    def volume_dir(self, pod: str, volume: dict, fs_group: int | None) -> tuple[Path, bool]:
        """The host folder backing a pod volume, filled and owned as the kubelet does; (path, read-only)."""
        name = volume["name"]
        if "persistentVolumeClaim" in volume or "claimTemplate" in volume:
            claim = volume.get("persistentVolumeClaim", {}).get("claimName") or volume["claimTemplate"]
            path = self.claims.setdefault(claim, self.workdir / "claims" / claim)
            path.mkdir(parents=True, exist_ok=True)
            own(path, fs_group)
            return path, False
        path = self.workdir / "pods" / pod / name
        path.mkdir(parents=True, exist_ok=True)
        if "emptyDir" in volume:
            own(path, fs_group)
            return path, False
        if "configMap" in volume or "secret" in volume:
            is_secret = "secret" in volume
            source = volume["secret" if is_secret else "configMap"]
            obj = self.named("Secret" if is_secret else "ConfigMap", source["secretName" if is_secret else "name"])
            data = (
                {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
                if is_secret
                else {k: v.encode() for k, v in (obj.get("data") or {}).items()}
            )
            items = source.get("items") or [{"key": k, "path": k} for k in data]
            mode = int(source.get("defaultMode", 0o644))
            for item in items:
                target = path / item["path"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data[item["key"]])
                item_mode = int(item.get("mode", mode))
                if fs_group is not None:  # the kubelet gives fsGroup read access to projected files
                    os.chown(target, 0, fs_group)
                    item_mode |= 0o040
                os.chmod(target, item_mode)
            os.chmod(path, 0o755)
            return path, True
        raise AssertionError(f"pod {pod}: volume {name} of an unsupported type {sorted(volume)}")

    def start_pod(self, workload: dict, *, main: bool = True, init_timeout: float = 600) -> Pod:
        """Start a workload's pod: init containers one after the other to completion, then the containers."""
        metadata, spec = pod_template(workload)
        name = pod_name(workload)
        pod = Pod(self, name, f"{workload['kind']}/{workload['metadata']['name']}", metadata.get("labels") or {}, spec)
        self.pods.append(pod)
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for template in workload["spec"].get("volumeClaimTemplates") or []:
            claim = template["metadata"]["name"]
            volumes[claim] = {"name": claim, "claimTemplate": f"{claim}-{name}"}
        fs_group = (spec.get("securityContext") or {}).get("fsGroup")
        mounts = {n: self.volume_dir(name, v, fs_group) for n, v in volumes.items()}
        for init in spec.get("initContainers", []):
            container = self.run_container(pod, init, mounts, init=True)
            started = time.monotonic()
            code = pod.wait_exit(container, init_timeout)
            pod.init_results.append((init["name"], code, time.monotonic() - started))
            if code != 0:  # restartPolicy Never: the pod fails here
                raise container.fail("init container", f"exited with {code}:\n{tail(container.logs())}")
        if main:
            for spec_container in spec["containers"]:
                self.run_container(pod, spec_container, mounts, init=False)
            pod._prober = threading.Thread(target=pod.probe_loop, daemon=True, name=f"probes-{name}")
            pod._prober.start()
        return pod

    def run_job_pod(self, workload: dict, timeout: float = 600) -> Pod:
        """A Job's (or CronJob's) pod to completion: init containers in order, then the containers; each must exit 0
        (restartPolicy Never, backoffLimit 0: the first failure fails the Job)."""
        pod = self.start_pod(workload, init_timeout=timeout)
        for container in pod.containers:
            started = time.monotonic()
            code = pod.wait_exit(container, timeout)
            pod.init_results.append((container.name, code, time.monotonic() - started))
            if code != 0:
                raise container.fail("container", f"exited with {code}:\n{tail(container.logs())}")
        return pod

    def run_container(self, pod: Pod, spec: dict, mounts: dict[str, tuple[Path, bool]], init: bool) -> Container:
        pod_security = pod.spec.get("securityContext") or {}
        security = {**pod_security, **(spec.get("securityContext") or {})}
        podman_name = f"{self.network}-{pod.name}-{spec['name']}"[:120]  # unique across releases
        container = Container(pod, spec["name"], spec, podman_name)
        image = normalise_image(spec["image"])
        if podman("image", "exists", image, check=False).returncode != 0:
            raise container.fail("image", f"{image} is not built: run make images")
        resources = spec.get("resources") or {}
        env = self.resolve_env(pod.name, spec, resources)
        args = [
            "run",
            "--detach",
            "--name",
            podman_name,
            "--pull=never",
            "--network",
            self.network,
            "--hostname",
            pod.name,
            "--no-healthcheck",  # Kubernetes ignores an image's HEALTHCHECK: only the pod's probes count
        ]
        args += [
            "--ulimit",
            f"nofile={hard_limit('n')}:{hard_limit('n')}",
            "--ulimit",
            f"nproc={hard_limit('u')}:{hard_limit('u')}",
        ]
        if not init:
            for svc in self.services_selecting(pod.labels):
                for alias in dns_names(svc["metadata"]["name"]):
                    args += ["--network-alias", alias]
        for host, ip in self.extra_hosts.items():
            args += ["--add-host", f"{host}:{ip}"]
        # security context
        user = security.get("runAsUser")
        if user is not None:
            args += ["--user", f"{user}:{security.get('runAsGroup', 0)}" if "runAsGroup" in security else str(user)]
        if security.get("runAsNonRoot"):
            effective = user if user is not None else image_user(image)
            if not str(effective).isdigit() or int(effective) == 0:
                raise container.fail("security context", f"runAsNonRoot, but {image} would run as user {effective!r}")
        if "fsGroup" in pod_security:
            args += ["--group-add", str(pod_security["fsGroup"])]
        for group in pod_security.get("supplementalGroups", []):
            args += ["--group-add", str(group)]
        if security.get("readOnlyRootFilesystem"):
            args += ["--read-only", "--read-only-tmpfs=false"]
        if security.get("allowPrivilegeEscalation") is False:
            args += ["--security-opt", "no-new-privileges"]
        capabilities = security.get("capabilities") or {}
        args += [f"--cap-drop={cap}" for cap in capabilities.get("drop", [])]
        args += [f"--cap-add={cap}" for cap in capabilities.get("add", [])]
        if (security.get("seccompProfile") or {}).get("type") == "Unconfined":
            args += ["--security-opt", "seccomp=unconfined"]
        if security.get("privileged"):
            raise container.fail("security context", "privileged containers are not run here")
        # resources: limits as cgroup limits; the CPU request as the kubelet's shares
        limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
        if "cpu" in limits:
            args += ["--cpus", f"{quantity(limits['cpu']):g}"]
        if "memory" in limits:
            args += ["--memory", str(int(quantity(limits["memory"])))]
        if "cpu" in requests:
            args += ["--cpu-shares", str(max(2, int(quantity(requests["cpu"]) * 1024)))]
        for mount in spec.get("volumeMounts", []):
            path, read_only = mounts[mount["name"]]
            if mount.get("subPath"):
                path = path / mount["subPath"]
            options = "ro" if read_only or mount.get("readOnly") else "rw"
            args += ["--volume", f"{path}:{mount['mountPath']}:{options}"]
        if spec.get("workingDir"):
            args += ["--workdir", spec["workingDir"]]
        for key, value in env.items():
            args += ["--env", f"{key}={value}"]
        if "command" in spec:
            args += ["--entrypoint", json.dumps([expand(c, env) for c in spec["command"]])]
        args += [image, *(expand(a, env) for a in spec.get("args", []))]
        done = podman(*args, check=False)
        if done.returncode != 0:
            raise container.fail("create", done.stderr.strip()[-800:])
        if not init:
            pod.containers.append(container)
        if not pod.ip:
            pod.ip = container_ip(podman_name, self.network)
        for kind in ("startup", "readiness", "liveness"):
            if f"{kind}Probe" in spec and not init:
                container.probes.append(Probe(kind, spec[f"{kind}Probe"]))
        return container

    def close(self) -> None:
        for pod in self.pods:
            pod.stop()
        for pod in self.pods:  # init containers left behind
            names = podman(
                "ps", "-a", "--filter", f"name=^{self.network}-{pod.name}-", "--format", "{{.Names}}", check=False
            ).stdout.split()
            if names:
                podman("rm", "--force", "--time", "2", *names, check=False)
        if self.owns_network:
            podman("network", "rm", "--force", self.network, check=False)


def dns_names(service: str) -> list[str]:
    return [service, f"{service}.{NAMESPACE}", f"{service}.{NAMESPACE}.svc", f"{service}.{NAMESPACE}.svc.cluster.local"]


def own(path: Path, fs_group: int | None) -> None:
    """An emptyDir as the kubelet makes it: world-writable, and with fsGroup group-owned with the setgid bit."""
    os.chmod(path, 0o777)
    if fs_group is not None:
        os.chown(path, 0, fs_group)
        os.chmod(path, 0o2777)


def image_user(image: str) -> str:
    return podman("image", "inspect", "--format", "{{.Config.User}}", image).stdout.strip().split(":")[0] or "0"


def container_ip(name: str, network: str) -> str:
    info = json.loads(podman("inspect", "--format", "{{json .NetworkSettings.Networks}}", name).stdout)
    return info[network]["IPAddress"]


@contextlib.contextmanager
def release(docs: list[dict], workdir: Path, name: str, **kwargs: Any) -> Iterator[Release]:
    """A Release that is always cleaned up, also on failure or Ctrl-C."""
    created = Release(docs, workdir, name, **kwargs)
    try:
        yield created
    finally:
        created.close()


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
