"""The charts on the real kind cluster (tests/kind/conftest.py's `kind_cluster`): every image the charts name loaded
into the nodes, and the services chart's defaults installed once in namespace kind-services for the tests of this
folder (PostgreSQL's volume, scaling, the scheduled benchmark), uninstalled after the last of them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.kind.charts.releases import ROOT, Kube, chart_images_module, install

SERVICES_NAMESPACE = "kind-services"
# The ServiceMonitor CRD, as kube-prometheus-stack installs it before the services chart (Tiltfile order): the
# operator's own file (make operators), else the copy make controlplane fetched from the same module
SERVICEMONITOR_CRDS = (
    ROOT / ".tools" / "operators" / "share" / "prometheus-operator" / "prometheus-operator-crd"
    / "monitoring.coreos.com_servicemonitors.yaml",
    ROOT / ".tools" / "share" / "crds" / "monitoring.coreos.com_servicemonitors.yaml",
)  # fmt: skip


def servicemonitor_crd(kube: Kube) -> None:
    """The ServiceMonitor CRD established on the cluster. It is left installed: the monitoring tests install the same
    CRD with the operator, and deleting it would delete their ServiceMonitors."""
    name = "servicemonitors.monitoring.coreos.com"
    if kube.run("get", "crd", name, check=False).startswith("NAME"):
        return
    crd = next((p for p in SERVICEMONITOR_CRDS if p.is_file()), None)
    assert crd is not None, "the ServiceMonitor CRD is missing from .tools: run make operators (or make controlplane)"
    kube.run("apply", "--server-side", "-f", str(crd))
    kube.run("wait", "--for=condition=Established", "--timeout=120s", f"crd/{name}")


@pytest.fixture(scope="package")
def kube(kind_cluster: Any) -> Kube:
    return Kube(str(kind_cluster.kubeconfig))


@pytest.fixture(scope="package")
def chart_images(kind_cluster: Any) -> list[str]:
    """Every image the charts name (defaults and every ci/ file), loaded into every node (`kind load docker-image`;
    `make images` built them and loads them too when the cluster runs, so this is normally a no-op)."""
    wanted = chart_images_module().images()
    for image in wanted:
        try:
            kind_cluster.load_image(image)
        except (AssertionError, RuntimeError, subprocess.CalledProcessError) as error:
            pytest.fail(f"{image} could not be loaded into the kind nodes (run make images first): {error}")
    return wanted


@pytest.fixture(scope="package")
def services(kube: Kube, chart_images: list[str]) -> Iterator[str]:
    """observatory-services with its defaults (CPU requests lowered for a small host), every workload ready; the
    namespace."""
    servicemonitor_crd(kube)
    namespace = kube.namespace(SERVICES_NAMESPACE)
    try:
        install(kube, "observatory-services", namespace)
        yield namespace
    finally:
        kube.delete_namespace(namespace)


__all__ = ["ROOT", "SERVICES_NAMESPACE", "chart_images", "kube", "services"]
