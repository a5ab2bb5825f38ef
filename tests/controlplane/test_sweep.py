"""The replica sweep of the scheduled benchmark against a real API server, with its own RBAC: the kubectl steps the
chart renders into the CronJob run here as its ServiceAccount (with a token the API server issues for it), scale the
services' Deployments and wait for their replicas (kwok makes them ready), and that ServiceAccount can do nothing
else."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.controlplane.conftest import ROOT, render, restricted_namespace
from tests.controlplane.controlplane import BIN, ControlPlane, misplaced

SERVICES_CHART = ROOT / "charts" / "observatory-services"
LOAD_CHART = ROOT / "charts" / "observatory-load"
NAMESPACE = "sweep"


def load_objects(helm: str, cp: ControlPlane) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(render(helm, cp, "observatory-load", LOAD_CHART, "-n", NAMESPACE)) if doc]


def sweep_account(objects: list[dict]) -> str:
    """The ServiceAccount the CronJob's pod runs as."""
    cronjob = next(doc for doc in objects if doc["kind"] == "CronJob")
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAccountName"]


def kubectl_steps(objects: list[dict]) -> list[list[str]]:
    """The kubectl command lines of the CronJob's steps, in order, with the pod's namespace filled in."""
    pod = next(doc for doc in objects if doc["kind"] == "CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    steps = []
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        command = [*container.get("command", []), *container.get("args", [])]
        if command and command[0] == "kubectl":
            steps.append([arg.replace("$(POD_NAMESPACE)", NAMESPACE) for arg in command[1:]])
    return steps


@pytest.fixture(scope="module")
def sweep(control_plane: ControlPlane, helm: str, crds: None) -> tuple[list[dict], str]:
    """Both charts with their defaults in one namespace, as the Tiltfile installs them; the sweep's token."""
    cp = control_plane
    restricted_namespace(cp, NAMESPACE)
    for release, chart in (("observatory-services", SERVICES_CHART), ("observatory-load", LOAD_CHART)):
        done = cp.run(helm, "install", release, str(chart), "-n", NAMESPACE, "--wait", "--timeout", "120s", timeout=150)
        assert done.returncode == 0, done.stderr
    objects = load_objects(helm, cp)
    token = cp.kubectl("-n", NAMESPACE, "create", "token", sweep_account(objects), "--duration=10m").strip()
    return objects, token


def as_sweep(cp: ControlPlane, token: str, args: list[str]) -> subprocess.CompletedProcess:
    """kubectl with nothing but the sweep's token (no admin certificate in reach)."""
    return cp.run(
        str(BIN / "kubectl"), f"--server={cp.server}", f"--certificate-authority={cp.workdir / 'pki' / 'ca.crt'}",
        f"--token={token}", "--kubeconfig=/dev/null", *args,
    )  # fmt: skip


def can_i(cp: ControlPlane, account: str, *args: str) -> bool:
    done = cp.run(str(BIN / "kubectl"), "auth", "can-i", f"--as=system:serviceaccount:{NAMESPACE}:{account}",
                  "-n", NAMESPACE, *args)  # fmt: skip
    answer = done.stdout.strip()
    assert answer in ("yes", "no"), f"kubectl auth can-i {' '.join(args)}: {done.stderr}"
    return answer == "yes"


def test_the_sweep_steps_run_as_their_service_account(
    sweep: tuple[list[dict], str], control_plane: ControlPlane
) -> None:
    cp, (objects, token) = control_plane, sweep
    steps = kubectl_steps(objects)
    assert steps, "the CronJob renders no kubectl step"
    scaled: dict[str, int] = {}  # each Deployment's replicas as the last scale step set them
    peak = 0
    for args in steps:
        done = as_sweep(cp, token, args)
        assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
        if args[0] == "scale":
            replicas = int(next(a for a in args if a.startswith("--replicas=")).split("=")[1])
            scaled[args[1].removeprefix("deployment/")] = replicas
            peak = max(peak, replicas)
        elif args[:2] == ["rollout", "status"]:
            deployment = cp.get_json("deployment", args[2].removeprefix("deployment/"), "-n", NAMESPACE)
            name = deployment["metadata"]["name"]
            assert deployment["status"].get("readyReplicas") == scaled[name], (name, deployment["status"])
            selector = ",".join(f"{k}={v}" for k, v in deployment["spec"]["selector"]["matchLabels"].items())
            pods = cp.get_json("pods", "-n", NAMESPACE, "-l", selector)["items"]
            assert misplaced(pods, cp.nodes, "services") == []
    assert peak >= 2, "the sweep scales no service beyond one replica"
    # each service ends where its last step (the restore) put it
    for name, replicas in scaled.items():
        assert cp.get_json("deployment", name, "-n", NAMESPACE)["spec"]["replicas"] == replicas


def test_the_sweep_token_is_refused_anything_else(sweep: tuple[list[dict], str], control_plane: ControlPlane) -> None:
    """The same token, with a verb the Role does not grant: the API server says no (the can-i answers are real)."""
    done = as_sweep(
        control_plane, sweep[1], ["-n", NAMESPACE, "delete", "deployment/observatory-services-fastapi-uvicorn"]
    )
    assert done.returncode != 0
    assert "forbidden" in done.stderr, done.stderr
    assert control_plane.kubectl_ok("-n", NAMESPACE, "get", "deployment/observatory-services-fastapi-uvicorn")


@pytest.mark.parametrize(
    "args",
    [
        ["get", "deployments/observatory-services-fastapi-uvicorn"],
        ["patch", "deployments/observatory-services-fastapi-uvicorn", "--subresource=scale"],
        ["get", "deployments/observatory-services-django-gunicorn-sync", "--subresource=scale"],
    ],
    ids=lambda a: " ".join(a),
)
def test_the_sweep_may_do_what_it_does(
    sweep: tuple[list[dict], str], control_plane: ControlPlane, args: list[str]
) -> None:
    assert can_i(control_plane, sweep_account(sweep[0]), *args)


@pytest.mark.parametrize(
    "args",
    [
        ["patch", "deployments/observatory-services-fastapi-uvicorn"],  # the pod template: what runs, as whom
        ["delete", "deployments/observatory-services-fastapi-uvicorn"],
        ["create", "deployments"],
        ["patch", "statefulsets/observatory-services-postgresql", "--subresource=scale"],
        ["patch", "deployments/some-other-deployment", "--subresource=scale"],
        ["list", "deployments"],  # only by name
        ["get", "secrets/observatory-services-postgresql"],
        ["create", "pods"],
        ["create", "pods/exec"],
        ["get", "deployments/observatory-services-fastapi-uvicorn", "--namespace=default"],
    ],
    ids=lambda a: " ".join(a),
)
def test_the_sweep_may_do_nothing_else(
    sweep: tuple[list[dict], str], control_plane: ControlPlane, args: list[str]
) -> None:
    assert not can_i(control_plane, sweep_account(sweep[0]), *args)
