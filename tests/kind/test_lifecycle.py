"""The cluster `make cluster` brings up: every node Ready with its role, pods reaching each other across nodes
(kindnetd's routes, kube-proxy's Services), and a second `make cluster` that changes nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from observatory.kind import layout, lifecycle, sysctls
from observatory.kind.cluster import Cluster

ROLES = {"monitoring", "services", "load"}


def node_containers(cluster: Cluster) -> list[str]:
    """Each node container's id and start time: a recreated or restarted node changes them."""
    ids = cluster.docker(
        "ps", "-q", "--no-trunc", "--filter", f"label=io.x-k8s.kind.cluster={cluster.name}"
    ).stdout.split()
    return sorted(cluster.docker("inspect", "--format", "{{.Id}} {{.State.StartedAt}}", *ids).stdout.splitlines())


def test_up_on_a_healthy_cluster_changes_nothing(kind_cluster: Cluster) -> None:
    before = node_containers(kind_cluster)
    done = subprocess.run(
        [sys.executable, "-m", "observatory.kind", "up"], capture_output=True, text=True, timeout=600, cwd=layout.ROOT
    )
    assert done.returncode == 0, done.stderr
    assert "nothing to do" in done.stdout
    assert node_containers(kind_cluster) == before


def test_the_cleanup_of_build_containers_spares_the_nodes(kind_cluster: Cluster) -> None:
    """A failed or interrupted `make cluster` removes the node image's build container: never a node."""
    assert kind_cluster.docker("ps", "-aq", "--filter", lifecycle.BUILD_CONTAINERS).stdout.split() == []
    labels = kind_cluster.docker(
        "inspect", "--format", "{{json .Config.Labels}}", *kind_cluster.nodes()
    ).stdout.splitlines()
    assert all("observatory.kind-build" not in json.loads(line) for line in labels)


def test_every_node_is_ready_with_the_role_kind_config_gives_it(kind_cluster: Cluster) -> None:
    nodes = json.loads(kind_cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    assert len(nodes) == layout.node_count()
    assert {n["metadata"]["labels"].get("observatory.dev/role") for n in nodes} == ROLES
    for node in nodes:
        ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
        assert ready == "True", node["metadata"]["name"]
        assert node["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.34.")


def test_the_host_sysctls_are_recorded_while_the_cluster_runs(kind_cluster: Cluster) -> None:
    recorded = json.loads(layout.SYSCTL_RECORD.read_text())
    assert set(recorded) == set(sysctls.NAMES)


def probe_pod(cluster: Cluster, name: str, node: str, script: str) -> str:
    """Run `script` (bash) in a pod on `node` and return what it printed; the pod is deleted afterwards."""
    # the helper image kind preloads for local-path's volume scripts has bash and nothing that listens
    deployment = json.loads(
        cluster.kubectl("get", "deployment", "local-path-provisioner", "-n", "local-path-storage", "-o", "json").stdout
    )
    command = deployment["spec"]["template"]["spec"]["containers"][0]["command"]
    helper = command[command.index("--helper-image") + 1]
    overrides = {
        "spec": {
            "nodeName": node,
            "containers": [
                {"name": name, "image": helper, "imagePullPolicy": "IfNotPresent", "command": ["bash", "-c", script]}
            ],
        }
    }
    cluster.kubectl("delete", "pod", name, "--ignore-not-found", "--wait=true")
    try:
        cluster.kubectl("run", name, f"--image={helper}", "--restart=Never", f"--overrides={json.dumps(overrides)}")
        cluster.kubectl("wait", "--for=jsonpath={.status.phase}=Succeeded", f"pod/{name}", "--timeout=180s")
        return cluster.kubectl("logs", name).stdout
    finally:
        cluster.kubectl("delete", "pod", name, "--ignore-not-found", "--wait=false", check=False)


def test_a_pod_reaches_coredns_on_another_node_by_pod_ip_and_by_service(kind_cluster: Cluster) -> None:
    pods = json.loads(
        kind_cluster.kubectl("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o", "json").stdout
    )["items"]
    nodes = json.loads(kind_cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    coredns_nodes = {p["spec"]["nodeName"] for p in pods}
    other = next(n["metadata"]["name"] for n in nodes if n["metadata"]["name"] not in coredns_nodes)
    pod_ip = pods[0]["status"]["podIP"]
    service_ip = kind_cluster.kubectl(
        "get", "service", "kube-dns", "-n", "kube-system", "-o", "jsonpath={.spec.clusterIP}"
    ).stdout
    # CoreDNS's health endpoint (:8080) by pod IP, its metrics (:9153) through the kube-dns Service
    script = (
        f"exec 3<>/dev/tcp/{pod_ip}/8080 && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3 | tail -1; echo; "
        f"exec 4<>/dev/tcp/{service_ip}/9153 && printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' >&4 && cat <&4 | grep -c '^coredns_'"
    )
    lines = probe_pod(kind_cluster, "kind-network-probe", other, script).split()
    assert lines[0] == "OK"
    assert int(lines[1]) > 0


PROBE_CONFIG = """\
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: lifecycle-probe
nodes:
  - role: control-plane
"""


def test_ctrl_c_during_up_removes_what_that_run_started_and_nothing_else(kind_cluster: Cluster, tmp_path: Path) -> None:
    """A second, 1-node cluster beside the real one, interrupted while kind creates it: its node goes, the real
    cluster's nodes, the engine and the sysctl record stay."""
    config = tmp_path / "lifecycle-probe.yaml"
    config.write_text(PROBE_CONFIG)
    before, record = node_containers(kind_cluster), layout.SYSCTL_RECORD.read_text()
    probe = ("ps", "-aq", "--filter", "label=io.x-k8s.kind.cluster=lifecycle-probe")
    env = {**os.environ, "OBSERVATORY_KIND_CONFIG": str(config)}
    up = subprocess.Popen(
        [sys.executable, "-m", "observatory.kind", "up"], cwd=layout.ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 600  # a bound on a wait for an event, not a timed assertion
        while not kind_cluster.docker(*probe).stdout.split():
            assert up.poll() is None, "make cluster ended before kind created the probe's node"
            assert time.monotonic() < deadline, "kind did not create the probe's node container"
            time.sleep(0.5)
        up.send_signal(signal.SIGINT)
        output, _ = up.communicate(timeout=600)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 130, output
    assert kind_cluster.docker(*probe).stdout.split() == []
    assert node_containers(kind_cluster) == before
    assert layout.SYSCTL_RECORD.read_text() == record
    assert kind_cluster.kubectl("get", "nodes").returncode == 0
