"""A real Kubernetes control plane on loopback, envtest-style: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler and kwok (fake kubelets) built from source by `make controlplane`, with kwok nodes shaped like
kind-config.yaml. One object owns every process; leaving its `with` block (normally, on a test failure or on
Ctrl-C) stops them all, and each child dies with the test process even if that is killed outright."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".tools" / "bin"
KWOK_STAGES = ROOT / ".tools" / "share" / "kwok" / "stages"
KIND_CONFIG = ROOT / "kind-config.yaml"
# How long the components get to exit after SIGTERM before they are killed: the stop's bound, and the lifecycle
# test's, which waits for the owner and reads stop.log rather than time it.
STOP_GRACE_S = 10.0
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kwok")

# What kwok does in place of kubelets: nodes become Ready and keep their leases fresh; pods become Ready at once,
# Job pods complete, deleted pods go away; PVCs of its storage class are provisioned and bound (no disk is used).
STAGE_FILES = (
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
    "volume/fast/pvc-provision.yaml",
    "volume/fast/pv-bind.yaml",
    "volume/fast/pvc-delete.yaml",
    "volume/fast/pv-delete.yaml",
)
STORAGE_CLASS = "volume/fast/storage-class.yaml"

# kind's nodes report the host's cores and memory. The tests install every values file side by side, each release on
# the same services or load node, so the nodes get room for all of them at once (ci/all-profiles-values.yaml alone
# asks for over 9 cores on the services node; a kind cluster needs a host that size for it).
NODE_CAPACITY = {"cpu": "64", "memory": "256Gi", "pods": "250", "ephemeral-storage": "500Gi"}
KWOK_ANNOTATION = "kwok.x-k8s.io/node"
# The node label the charts place their pods by (kind-config.yaml sets it on the workers).
ROLE_LABEL = "observatory.dev/role"


class ControlPlaneError(Exception):
    """The control plane could not be started; the message says which component and why."""


def missing_binaries(bin_dir: Path = BIN) -> list[str]:
    return [name for name in BINARIES if not (bin_dir / name).is_file()]


def missing_message(missing: list[str]) -> str:
    """What a test says when the control plane was not built: it fails (the setup builds it), it does not skip."""
    return f"{', '.join(missing)} missing from .tools/bin: run `make controlplane` (part of make setup)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: its own process group, and SIGKILL when the test process dies (PR_SET_PDEATHSIG)."""
    os.setpgid(0, 0)
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


@dataclass(frozen=True)
class KindNode:
    """One node of kind-config.yaml as kind names and labels it."""

    name: str
    role: str
    labels: dict[str, str]
    taints: list[dict[str, str]]


def kind_nodes(config: Path = KIND_CONFIG) -> list[KindNode]:
    """The nodes kind creates from `config`: <cluster>-control-plane, <cluster>-worker, <cluster>-worker2...

    kind labels every node with its hostname, marks the control plane with the node-role label and its NoSchedule
    taint, and adds each node's `labels:` from the config."""
    doc = yaml.safe_load(config.read_text())
    cluster = doc.get("name", "kind")
    nodes, counts = [], {"control-plane": 0, "worker": 0}
    for node in doc["nodes"]:
        role = node.get("role", "control-plane")
        counts[role] += 1
        name = f"{cluster}-{role}" + (str(counts[role]) if counts[role] > 1 else "")
        labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
        taints = []
        if role == "control-plane":
            labels["node-role.kubernetes.io/control-plane"] = ""
            taints.append({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
        labels.update({k: str(v) for k, v in (node.get("labels") or {}).items()})
        nodes.append(KindNode(name, role, labels, taints))
    return nodes


def misplaced(pods: list[dict], nodes: list[KindNode], role: str) -> list[str]:
    """The pods that are not on a node kind-config.yaml labels with `role` (unscheduled pods included)."""
    wanted = {n.name for n in nodes if n.labels.get(ROLE_LABEL) == role}
    return [
        f"{p['metadata']['name']} on {p['spec'].get('nodeName')}"
        for p in pods
        if p["spec"].get("nodeName") not in wanted
    ]


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ControlPlaneError(f"openssl {args[0]} failed: {done.stderr.strip()}")


def make_pki(pki: Path) -> None:
    """A CA, the API server's serving certificate for 127.0.0.1, client certificates for the admin (system:masters),
    the controller-manager and the scheduler, and the service-account signing key pair."""
    pki.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
             "-subj", "/CN=observatory-test-ca", cwd=pki)  # fmt: skip
    clients = {
        "apiserver": "/CN=kube-apiserver",
        "admin": "/O=system:masters/CN=observatory-admin",
        "controller-manager": "/CN=system:kube-controller-manager",
        "scheduler": "/CN=system:kube-scheduler",
    }
    (pki / "apiserver.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n"
        "extendedKeyUsage=serverAuth\n"
    )
    (pki / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, subject in clients.items():
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", subject, cwd=pki)  # fmt: skip
        ext = "apiserver.ext" if name == "apiserver" else "client.ext"
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.crt", "-days", "2", "-extfile", ext, cwd=pki)  # fmt: skip
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=pki)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)


def kubeconfig(path: Path, server: str, pki: Path, user: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "observatory", "cluster": {"server": server, "certificate-authority": str(pki / "ca.crt")}}
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate": str(pki / f"{user}.crt"), "client-key": str(pki / f"{user}.key")},
            }
        ],
        "contexts": [{"name": "observatory", "context": {"cluster": "observatory", "user": user}}],
        "current-context": "observatory",
    }
    path.write_text(yaml.safe_dump(config))
    return path


@dataclass
class Component:
    name: str
    process: subprocess.Popen
    log: Path


@dataclass
class ControlPlane:
    """Every process of the control plane, started in `workdir`; use it as a context manager."""

    workdir: Path
    components: list[Component] = field(default_factory=list)
    server: str = ""
    kubeconfig: Path = Path()
    nodes: list[KindNode] = field(default_factory=list)

    # -- life cycle ------------------------------------------------------------------------------------------------

    def __enter__(self) -> ControlPlane:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        missing = missing_binaries(BIN)
        if missing:
            raise ControlPlaneError(missing_message(missing))
        pki = self.workdir / "pki"
        make_pki(pki)
        etcd_port, etcd_peer, api_port = free_port(), free_port(), free_port()
        self.server = f"https://127.0.0.1:{api_port}"
        self.kubeconfig = kubeconfig(self.workdir / "admin.kubeconfig", self.server, pki, "admin")
        cm_config = kubeconfig(self.workdir / "controller-manager.kubeconfig", self.server, pki, "controller-manager")
        sched_config = kubeconfig(self.workdir / "scheduler.kubeconfig", self.server, pki, "scheduler")

        etcd = f"http://127.0.0.1:{etcd_port}"
        self._spawn("etcd", [
            "--name=observatory", f"--data-dir={self.workdir / 'etcd'}",
            f"--listen-client-urls={etcd}", f"--advertise-client-urls={etcd}",
            f"--listen-peer-urls=http://127.0.0.1:{etcd_peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}",
            f"--initial-cluster=observatory=http://127.0.0.1:{etcd_peer}",
            "--unsafe-no-fsync", "--log-level=warn",
        ])  # fmt: skip
        self._wait("etcd", lambda: _http_ok(f"{etcd}/health"), 30)

        self._spawn("kube-apiserver", [
            f"--etcd-servers={etcd}", "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            f"--secure-port={api_port}", f"--cert-dir={self.workdir / 'apiserver-certs'}",
            f"--tls-cert-file={pki / 'apiserver.crt'}", f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            f"--service-account-key-file={pki / 'sa.pub'}", f"--service-account-signing-key-file={pki / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--authorization-mode=RBAC", "--anonymous-auth=false",
            # No kubelet runs: no endpoint for the kubernetes Service is reconciled to a host that does not exist.
            "--endpoint-reconciler-type=none",
            # Pod Security admission is on by default; name it so a change of defaults cannot drop it silently.
            "--enable-admission-plugins=PodSecurity,DefaultStorageClass,ResourceQuota",
            "--service-cluster-ip-range=10.96.0.0/16", "--profiling=false", "--v=0",
        ])  # fmt: skip
        self._wait("kube-apiserver", lambda: self.kubectl_ok("get", "--raw", "/readyz"), 60)

        self._spawn("kube-controller-manager", [
            f"--kubeconfig={cm_config}", f"--authentication-kubeconfig={cm_config}",
            f"--authorization-kubeconfig={cm_config}", "--bind-address=127.0.0.1", f"--secure-port={free_port()}",
            f"--service-account-private-key-file={pki / 'sa.key'}", f"--root-ca-file={pki / 'ca.crt'}",
            "--use-service-account-credentials=true", "--leader-elect=false",
            "--v=0",
        ])  # fmt: skip
        self._spawn("kube-scheduler", [
            f"--kubeconfig={sched_config}", f"--authentication-kubeconfig={sched_config}",
            f"--authorization-kubeconfig={sched_config}", "--bind-address=127.0.0.1", f"--secure-port={free_port()}",
            "--leader-elect=false", "--v=0",
        ])  # fmt: skip

        stages = self.workdir / "kwok-stages.yaml"
        stages.write_text("\n---\n".join((KWOK_STAGES / f).read_text() for f in STAGE_FILES))
        self._spawn("kwok", [
            f"--kubeconfig={self.kubeconfig}", f"--config={stages}",
            "--manage-all-nodes=false", f"--manage-nodes-with-annotation-selector={KWOK_ANNOTATION}=fake",
            "--node-ip=10.244.0.1", "--cidr=10.244.0.0/16", "--node-lease-duration-seconds=40",
        ])  # fmt: skip

        self.kubectl("apply", "-f", str(KWOK_STAGES / STORAGE_CLASS))
        self.nodes = kind_nodes()
        self.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all([self._node(n) for n in self.nodes]))
        self._wait("kwok nodes", self._nodes_ready, 60)
        # the namespaces' default ServiceAccounts come from the controller-manager: wait for its first one
        self._wait("kube-controller-manager", lambda: self.kubectl_ok("-n", "default", "get", "sa", "default"), 60)

    def stop(self) -> None:
        """SIGTERM to every process group, SIGKILL to what is left after STOP_GRACE_S, in reverse start order.

        Each component's way out (its exit after SIGTERM, or SIGKILL) and the time it took go to `stop.log` in the
        work folder, so a slow stop says which process made it slow."""
        started = time.monotonic()
        for component in reversed(self.components):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(component.process.pid, signal.SIGTERM)
        deadline = started + STOP_GRACE_S
        lines = []
        for component in reversed(self.components):
            how = "exited after SIGTERM"
            try:
                component.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                how = "SIGKILL"
            with contextlib.suppress(ProcessLookupError):
                os.killpg(component.process.pid, signal.SIGKILL)
            component.process.wait()
            lines.append(f"{component.name}: {how}, gone {time.monotonic() - started:.1f} s after the stop began")
        if self.components:
            with contextlib.suppress(OSError):
                (self.workdir / "stop.log").write_text("\n".join(lines) + "\n")
        self.components.clear()

    def pids(self) -> list[int]:
        return [c.process.pid for c in self.components]

    # -- using it --------------------------------------------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        """An environment for kubectl and helm that points at this control plane and nowhere else."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig), "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
                "HELM_CACHE_HOME": str(self.workdir / "helm" / "cache"),
                "HELM_CONFIG_HOME": str(self.workdir / "helm" / "config"),
                "HELM_DATA_HOME": str(self.workdir / "helm" / "data")}  # fmt: skip

    def run(self, *args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(list(args), input=stdin, capture_output=True, text=True, env=self.env, timeout=timeout)

    def kubectl(self, *args: str, stdin: str | None = None, timeout: float = 60) -> str:
        done = self.run(str(BIN / "kubectl"), *args, stdin=stdin, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def kubectl_ok(self, *args: str) -> bool:
        return self.run(str(BIN / "kubectl"), *args, timeout=30).returncode == 0

    def get_json(self, *args: str) -> dict:
        return json.loads(self.kubectl("get", *args, "-o", "json"))

    # -- internals -------------------------------------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str]) -> None:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(BIN / name), *args], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=self.workdir, preexec_fn=_die_with_parent,
            )  # fmt: skip
        self.components.append(Component(name, process, log))

    def _wait(self, what: str, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for component in self.components:
                if component.process.poll() is not None:
                    raise ControlPlaneError(
                        f"{component.name} exited with {component.process.returncode} while waiting for {what}: "
                        f"{_tail(component.log)}"
                    )
            if ready():
                return
            time.sleep(0.25)
        logs = "; ".join(f"{c.name}: {_tail(c.log, 3)}" for c in self.components)
        raise ControlPlaneError(f"{what} not ready after {timeout:.0f} s ({logs})")

    def _node(self, node: KindNode) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node.name, "labels": node.labels, "annotations": {KWOK_ANNOTATION: "fake"}},
            "spec": {"taints": node.taints} if node.taints else {},
            "status": {"capacity": NODE_CAPACITY, "allocatable": NODE_CAPACITY},
        }

    def _nodes_ready(self) -> bool:
        done = self.run(str(BIN / "kubectl"), "get", "nodes", "-o", "json", timeout=30)
        if done.returncode != 0:
            return False
        ready = {
            n["metadata"]["name"]
            for n in json.loads(done.stdout)["items"]
            if any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", []))
        }
        return ready >= {n.name for n in self.nodes}


def _http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:])
