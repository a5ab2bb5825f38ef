"""One real control plane for this folder (tests/controlplane/controlplane.py), stopped after its last test so the rest
of the suite has the memory back, and the CRDs the charts need on it."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from observatory import tools
from tests.controlplane.controlplane import (
    BIN,
    ROOT,
    ControlPlane,
    ControlPlaneError,
    missing_binaries,
    missing_message,
)

CRDS = ROOT / ".tools" / "share" / "crds"
SERVICEMONITOR_CRD = CRDS / "monitoring.coreos.com_servicemonitors.yaml"
TESTRUN_CRD = CRDS / "k6.io_testruns.yaml"


@pytest.fixture(scope="session")
def helm() -> str:
    path = tools.find("helm")
    if path is None:
        pytest.fail("helm is missing: run make setup")
    return path


@pytest.fixture(scope="package")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on loopback, with kwok nodes named,
    labelled and tainted as kind-config.yaml's; every process is stopped after the folder's last test, however it ends."""
    missing = missing_binaries()
    if missing:
        pytest.fail(missing_message(missing))
    missing_crds = [p.name for p in (SERVICEMONITOR_CRD, TESTRUN_CRD) if not p.is_file()]
    if missing_crds:
        pytest.fail(f"{', '.join(missing_crds)} missing from .tools/share/crds: run `make controlplane`")
    workdir = tmp_path_factory.mktemp("controlplane")
    try:
        with ControlPlane(workdir) as cp:
            yield cp
    except ControlPlaneError as e:
        pytest.fail(f"the control plane did not start: {e}")


def restricted_namespace(cp: ControlPlane, name: str) -> str:
    """A namespace where Pod Security admission enforces (and warns about, and audits) the restricted profile."""
    cp.kubectl("create", "namespace", name)
    labels = []
    for mode in ("enforce", "warn", "audit"):
        labels += [f"pod-security.kubernetes.io/{mode}=restricted", f"pod-security.kubernetes.io/{mode}-version=latest"]
    cp.kubectl("label", "namespace", name, *labels)
    return name


def render(helm: str, cp: ControlPlane, release: str, chart: Path, *args: str) -> str:
    """`helm template`, which is what Tilt's helm() runs before it applies the objects."""
    done = cp.run(helm, "template", release, str(chart), *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass(frozen=True)
class ApplyOrder:
    """What happened when the services chart was applied as Tilt applies it, before and after the CRDs."""

    before_crds: subprocess.CompletedProcess
    servicemonitors_before: int
    after_crds: subprocess.CompletedProcess
    servicemonitors_after: int
    rendered_servicemonitors: int


@pytest.fixture(scope="package")
def apply_order(control_plane: ControlPlane, helm: str) -> ApplyOrder:
    """Tilt's order, and the wrong one, on a fresh API server: the services chart rendered as Tilt renders it is
    applied first without the monitoring CRDs (what happens if the ServiceMonitors did not wait for
    kube-prometheus-stack), then the CRDs are installed (kube-prometheus-stack installs them first in Tilt; here
    they come from the operators' module sources) and the same objects are applied again. The CRDs stay installed
    for the rest of the folder."""
    cp = control_plane
    assert not cp.kubectl_ok("get", "crd", crd_name(SERVICEMONITOR_CRD)), "the CRDs must not be installed yet"
    ns = restricted_namespace(cp, "tilt-order")
    # as the Tiltfile does: the PostgreSQL password's Secret made once, the chart rendered with helm template
    secret = re.search(r"^POSTGRES_SECRET = '([^']+)'", (ROOT / "Tiltfile").read_text(), re.M)
    assert secret, "the Tiltfile names no POSTGRES_SECRET"
    cp.kubectl("-n", ns, "create", "secret", "generic", secret[1], "--from-literal=password=not-a-secret")
    chart = ROOT / "charts" / "observatory-services"
    manifests = render(helm, cp, "observatory-services", chart, "--namespace", ns, "--values",
                       str(chart / "values.yaml"), "--set", "externalReplicas=true",
                       "--set", f"postgresql.existingSecret={secret[1]}")  # fmt: skip
    rendered = sum(1 for doc in yaml.safe_load_all(manifests) if doc and doc["kind"] == "ServiceMonitor")
    before = cp.run(str(BIN / "kubectl"), "-n", ns, "apply", "-f", "-", stdin=manifests)
    count_before = _count(cp, ns, "servicemonitors.monitoring.coreos.com")
    install_crds(cp)
    after = cp.run(str(BIN / "kubectl"), "-n", ns, "apply", "-f", "-", stdin=manifests)
    count_after = _count(cp, ns, "servicemonitors.monitoring.coreos.com")
    cp.kubectl("delete", "namespace", ns, "--wait=false")
    return ApplyOrder(before, count_before, after, count_after, rendered)


def install_crds(cp: ControlPlane) -> None:
    for crd in (SERVICEMONITOR_CRD, TESTRUN_CRD):
        cp.kubectl("apply", "--server-side", "-f", str(crd))
    names = [f"crd/{crd_name(p)}" for p in (SERVICEMONITOR_CRD, TESTRUN_CRD)]
    cp.kubectl("wait", "--for=condition=Established", "--timeout=60s", *names)


@pytest.fixture(scope="package")
def crds(apply_order: ApplyOrder) -> None:
    """The ServiceMonitor and TestRun CRDs, installed (after the apply-order experiment, which installs them)."""


def crd_name(path: Path) -> str:
    return yaml.safe_load(path.read_text())["metadata"]["name"]


def _count(cp: ControlPlane, ns: str, resource: str) -> int:
    done = cp.run(str(BIN / "kubectl"), "-n", ns, "get", resource, "-o", "name")
    return len(done.stdout.split()) if done.returncode == 0 else 0


@dataclass(frozen=True)
class ScheduledRelease:
    namespace: str
    release: str
    output: str
    returncode: int


@pytest.fixture(scope="package")
def scheduled_releases(control_plane: ControlPlane, helm: str, crds: None) -> dict[str, ScheduledRelease]:
    """observatory-load installed with its CronJob firing every minute, and its pods held Pending by a node selector
    no node matches, so the first scheduled Job stays active as a long benchmark does: "forbid" as the chart
    renders it, "allow" with the concurrency policy patched to Allow (the seeded fault). Started before the other
    releases, so that their minute boundaries pass while those install."""
    releases = {}
    for policy in ("forbid", "allow"):
        ns = restricted_namespace(control_plane, f"schedule-{policy}")
        done = control_plane.run(
            helm, "install", "observatory-load", str(ROOT / "charts" / "observatory-load"), "--namespace", ns,
            "--set", "schedule.cron=* * * * *", "--set-json", 'nodeSelector={"observatory.dev/role": "held-back"}',
            "--wait", "--timeout", "120s", timeout=150,
        )  # fmt: skip
        if policy == "allow" and done.returncode == 0:
            control_plane.kubectl("-n", ns, "patch", "cronjob", "observatory-load-scheduled", "--type=merge",
                                  "-p", '{"spec": {"concurrencyPolicy": "Allow"}}')  # fmt: skip
        releases[policy] = ScheduledRelease(ns, "observatory-load", done.stdout + done.stderr, done.returncode)
    return releases
