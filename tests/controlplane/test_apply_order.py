"""Tilt's apply order against a real API server: the ServiceMonitors can only be applied once the CRDs that
kube-prometheus-stack installs are established, which is why the Tiltfile makes them wait for it."""

from __future__ import annotations

import json

import pytest

from tests.controlplane.conftest import ApplyOrder
from tests.controlplane.controlplane import BIN, ControlPlane


def test_servicemonitors_before_their_crd_are_rejected(apply_order: ApplyOrder) -> None:
    assert apply_order.rendered_servicemonitors >= 1
    assert apply_order.before_crds.returncode != 0, "applying ServiceMonitors before their CRD must fail"
    assert 'kind "ServiceMonitor"' in apply_order.before_crds.stderr, apply_order.before_crds.stderr
    assert "ensure CRDs are installed first" in apply_order.before_crds.stderr, apply_order.before_crds.stderr
    assert apply_order.servicemonitors_before == 0


def test_servicemonitors_after_their_crd_are_applied(apply_order: ApplyOrder) -> None:
    assert apply_order.after_crds.returncode == 0, apply_order.after_crds.stderr
    assert apply_order.servicemonitors_after == apply_order.rendered_servicemonitors


def invalid(kind: str) -> dict:
    """A ServiceMonitor or TestRun the charts could render by mistake: a malformed interval, a non-integer count."""
    if kind == "ServiceMonitor":
        spec = {"selector": {"matchLabels": {"a": "b"}}, "endpoints": [{"port": "http", "interval": "5 seconds"}]}
        return {"apiVersion": "monitoring.coreos.com/v1", "kind": kind, "metadata": {"name": "bad"}, "spec": spec}
    spec = {"parallelism": "four", "script": {"localFile": "/scripts/benchmark.js"}}
    return {"apiVersion": "k6.io/v1alpha1", "kind": kind, "metadata": {"name": "bad"}, "spec": spec}


@pytest.mark.parametrize("kind", ["ServiceMonitor", "TestRun"])
def test_the_crds_reject_what_their_schema_forbids(control_plane: ControlPlane, crds: None, kind: str) -> None:
    done = control_plane.run(str(BIN / "kubectl"), "-n", "default", "apply", "-f", "-", stdin=json.dumps(invalid(kind)))
    assert done.returncode != 0
    assert "Invalid value" in done.stderr, done.stderr
