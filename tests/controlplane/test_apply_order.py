"""Tilt's apply order against a real API server: the ServiceMonitors can only be applied once the CRDs that
kube-prometheus-stack installs are established, which is why the Tiltfile makes them wait for it."""

from __future__ import annotations

from tests.controlplane.conftest import ApplyOrder


def test_servicemonitors_before_their_crd_are_rejected(apply_order: ApplyOrder) -> None:
    assert apply_order.rendered_servicemonitors >= 1
    assert apply_order.before_crds.returncode != 0, "applying ServiceMonitors before their CRD must fail"
    assert 'kind "ServiceMonitor"' in apply_order.before_crds.stderr, apply_order.before_crds.stderr
    assert "ensure CRDs are installed first" in apply_order.before_crds.stderr, apply_order.before_crds.stderr
    assert apply_order.servicemonitors_before == 0


def test_servicemonitors_after_their_crd_are_applied(apply_order: ApplyOrder) -> None:
    assert apply_order.after_crds.returncode == 0, apply_order.after_crds.stderr
    assert apply_order.servicemonitors_after == apply_order.rendered_servicemonitors
