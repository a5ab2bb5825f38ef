"""`make cluster` and `make cluster-down`: the kind cluster of kind-config.yaml, up and healthy, then gone.

Where a registry answers and a docker engine runs, `up` is plain `kind create cluster --config kind-config.yaml`.
Where no registry answers it builds what kind would pull, from the pins in tools/versions.mk (tools/kind/): the node
image kindest/node:KUBERNETES_VERSION-local, on a dockerd of our own with the runtime wrapper when no engine runs.
Before anything starts it records the host sysctls that privileged nodes change; `down`, a failure or Ctrl-C delete
the cluster, stop our dockerd, remove what it left and restore those sysctls.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from observatory.errors import ObservatoryError
from observatory.kind import layout, sysctls
from observatory.kind.cluster import Cluster, CommandFailed
from observatory.kind.dockerd import Engine, own, system_engine
from observatory.tools import pinned_versions

REGISTRY_PROBE = "https://registry-1.docker.io/v2/"
# The node image's build container, which a failure or Ctrl-C may leave (tools/kind/build-node-image.sh names it).
BUILD_CONTAINERS = "name=^observatory-node-build-"


def say(message: str) -> None:
    """One progress line."""
    print(f"cluster: {message}", flush=True)


def registry_answers(url: str = REGISTRY_PROBE, timeout: float = 5) -> bool:
    """Whether the registry kind pulls its node image from answers at all (any HTTP status counts)."""
    try:
        urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False
    return True


def local_node_image() -> str:
    """The tag of the node image built here."""
    return f"kindest/node:{pinned_versions()['KUBERNETES_VERSION']}-local"


def current() -> Cluster | None:
    """The cluster as it runs now (engine answering and the cluster known to kind), else None."""
    engine = _running_engine()
    if engine is None or not layout.KIND.is_file():
        return None
    probe = Cluster(layout.cluster_name(), layout.KUBECONFIG, engine)
    if probe.name not in probe.kind("get", "clusters", check=False).stdout.split():
        return None
    return probe


def _running_engine() -> Engine | None:
    if own.pid() and own.answers():
        return own.engine()
    return system_engine()


def health(cluster: Cluster) -> str | None:
    """None when every node container runs and every node is Ready; otherwise what is wrong, in a few words."""
    expected = layout.node_count()
    states = cluster.docker(
        "ps", "-a", "--filter", f"label=io.x-k8s.kind.cluster={cluster.name}", "--format", "{{.Names}} {{.State}}"
    ).stdout.split("\n")
    running = [line for line in states if line.endswith(" running")]
    if len(running) != expected:
        return f"{len(running)} of {expected} node containers running"
    if not cluster.kubeconfig.is_file():
        try:
            _export_kubeconfig(cluster)
        except CommandFailed as failed:
            return f"its kubeconfig cannot be read: {failed.stderr.strip()[-120:]}"
    done = cluster.kubectl("get", "nodes", "-o", "json", check=False, timeout=60)
    if done.returncode != 0:
        return f"the API server does not answer ({done.stderr.strip()[:120]})"
    nodes = json.loads(done.stdout)["items"]
    ready = [n for n in nodes if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"])]
    return None if len(ready) == expected else f"{len(ready)} of {expected} nodes Ready"


def _export_kubeconfig(cluster: Cluster) -> None:
    text = cluster.kind("get", "kubeconfig", "--name", cluster.name).stdout
    cluster.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    cluster.kubeconfig.write_text(text)
    cluster.kubeconfig.chmod(0o600)


def _step(what: str, action: Callable[[], object]) -> object:
    started = time.monotonic()
    result = action()
    say(f"{what} ({time.monotonic() - started:.0f} s)")
    return result


def _run_script(script: Path, engine: Engine | None, *args: str) -> None:
    """A build script of tools/kind, its output streamed; one error line if it fails."""
    env = engine.environ() if engine else None
    done = subprocess.run(["bash", str(script), *args], env=env, check=False)
    if done.returncode != 0:
        raise ObservatoryError(
            f"cluster: {script.relative_to(layout.ROOT)} failed (exit {done.returncode}); see its output above"
        )


def build_node_image(engine: Engine) -> str:
    """Build the node parts and the node image from the pins (each step cached); the image's tag."""
    _step("node parts built from the pins in tools/versions.mk", lambda: _run_script(layout.BUILD_COMPONENTS, None))
    _step(f"node image {local_node_image()} ready", lambda: _run_script(layout.BUILD_NODE_IMAGE, engine))
    return local_node_image()


def up() -> Cluster:
    """Bring the cluster up, or leave a healthy one alone; on failure or Ctrl-C, leave nothing behind."""
    started = time.monotonic()
    existing = current()
    if existing is not None:
        problem = health(existing)
        if problem is None:
            say(f"{existing.name} is up and healthy ({layout.node_count()} nodes Ready); nothing to do")
            return existing
        raise ObservatoryError(
            f"cluster: {existing.name} exists but is not healthy ({problem}): run make cluster-down, then make cluster"
        )
    sysctls.record(layout.SYSCTL_RECORD)
    dockerd_was_running = own.pid() is not None
    try:
        cluster = _create()
    except BaseException:
        say("cleaning up after the failure")
        # a dockerd that ran before this call may hold other work (image builds): only one this call started stops
        down(quiet=True, stop_dockerd=not dockerd_was_running)
        raise
    say(f"{cluster.name} is up in {time.monotonic() - started:.0f} s: KUBECONFIG={cluster.kubeconfig}")
    return cluster


def _create() -> Cluster:
    engine = _running_engine()
    pulls = registry_answers()
    if engine is None and not layout.DEBIAN_DOCKERD.exists():
        raise ObservatoryError(
            "cluster: no docker engine answers (docker version) and Debian's dockerd is not installed: start Docker, or apt-get install docker.io runc"
        )
    image = None
    if not pulls:
        on = "" if engine else ", on Debian's dockerd with the runtime wrapper (.tools/docker)"
        say(
            f"no registry answers ({REGISTRY_PROBE}): building the node image locally from the pins in tools/versions.mk{on}"
        )
        _step("node parts built", lambda: _run_script(layout.BUILD_COMPONENTS, None))
    elif engine is None:
        say("no docker engine answers: starting Debian's dockerd with the runtime wrapper (.tools/docker)")
    if engine is None:
        _step("dockerd started (.tools/docker)", own.start)
        engine = own.engine()
    if not pulls:
        _step(f"node image {local_node_image()} ready", lambda: _run_script(layout.BUILD_NODE_IMAGE, engine))
        image = local_node_image()
    if not layout.KIND.is_file():
        _step("kind built", lambda: _run_script(layout.BUILD_COMPONENTS, None, "kind"))
    cluster = Cluster(layout.cluster_name(), layout.KUBECONFIG, engine, image)
    if cluster.name in cluster.kind("get", "clusters", check=False).stdout.split():
        # left by an engine that was stopped (a reboot, a killed dockerd): its nodes do not come back healthy
        _step(
            f"{cluster.name}, left from an earlier engine run, deleted",
            lambda: cluster.kind("delete", "cluster", "--name", cluster.name),
        )
    args = ["create", "cluster", "--config", str(layout.KIND_CONFIG), "--wait", "5m"]
    _step("kind create cluster", lambda: cluster.kind(*args, *(["--image", image] if image else []), timeout=900))
    _export_kubeconfig(cluster)
    _step(
        "every node Ready", lambda: cluster.kubectl("wait", "--for=condition=Ready", "nodes", "--all", "--timeout=300s")
    )
    for namespace in ("kube-system", "local-path-storage"):
        wait = ("wait", "--for=condition=Available", "deployments", "--all", "-n", namespace, "--timeout=300s")
        _step(f"{namespace} deployments Available", lambda wait=wait: cluster.kubectl(*wait))  # type: ignore[misc]
    return cluster


def down(quiet: bool = False, stop_dockerd: bool = True) -> None:
    """Delete the cluster, stop our dockerd, remove what it leaves, restore the host sysctls. Safe to repeat.

    While another kind cluster runs on the engine (a probe beside the real one), the engine and the sysctls stay."""
    cluster = current()
    if cluster is not None:
        _step(f"{cluster.name} deleted", lambda: cluster.kind("delete", "cluster", "--name", cluster.name, timeout=300))
    layout.KUBECONFIG.unlink(missing_ok=True)
    engine = _running_engine()
    if engine is not None:
        _remove_node_containers(engine, layout.cluster_name())
    others: list[str] = []
    if engine is not None and layout.KIND.is_file():
        others = Cluster("", layout.KUBECONFIG, engine).kind("get", "clusters", check=False).stdout.split()
    if engine is not None and engine.ours:
        docker = [engine.cli]
        leftovers = subprocess.run(
            [*docker, "ps", "-aq", "--filter", BUILD_CONTAINERS], capture_output=True, text=True, env=engine.environ()
        ).stdout.split()
        if leftovers:
            subprocess.run([*docker, "rm", "-f", "-v", *leftovers], capture_output=True, env=engine.environ())
        if not others:
            subprocess.run([*docker, "network", "rm", "kind"], capture_output=True, env=engine.environ())
    if others:
        say(
            f"other kind clusters still run ({', '.join(others)}): the engine and the host sysctls are left as they are"
        )
        return
    if stop_dockerd and own.stop():
        say("our dockerd stopped; docker0 and its netns removed")
    changed = sysctls.restore(layout.SYSCTL_RECORD)
    if changed:
        say("host sysctls restored: " + ", ".join(f"{name} {was}→{now}" for name, (was, now) in changed.items()))
    elif not quiet:
        say("host sysctls as recorded")


def _remove_node_containers(engine: Engine, name: str) -> None:
    """Remove the cluster's node containers kind did not list: an interrupted `docker run` still creates its
    container after the client is gone, so poll until the engine shows none three times in a row."""
    quiet_polls = 0
    while quiet_polls < 3:
        ids = subprocess.run(
            [engine.cli, "ps", "-aq", "--filter", f"label=io.x-k8s.kind.cluster={name}"],
            capture_output=True,
            text=True,
            env=engine.environ(),
        ).stdout.split()
        if ids:
            subprocess.run([engine.cli, "rm", "-f", "-v", *ids], capture_output=True, env=engine.environ())
            quiet_polls = 0
        else:
            quiet_polls += 1
        time.sleep(1)


def node_image_only() -> str:
    """Build the node image on the engine that runs (our dockerd, started for this and stopped after, if none)."""
    engine = _running_engine()
    started = False
    if engine is None:
        _run_script(layout.BUILD_COMPONENTS, None)
        started = own.start()
        engine = own.engine()
    try:
        return build_node_image(engine)
    finally:
        if started:
            own.stop()
