"""`make images` and `kind load docker-image` put every image a chart names (defaults and every ci/ file) on the node
where its pod runs: the node its observatory.dev/role nodeSelector names, as containerd there lists it (`crictl
images` in the node container). The nodes pull nothing (no registry answers here)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.cluster.rendering import CASES, containers, pod_specs, render
from tests.kind.charts.releases import ROLE_LABEL, Kube, chart_images_module


def node_images(kind_cluster: Any, node: str) -> set[str]:
    """Every name (repo tags and digests) containerd on `node` holds, as Kubernetes names images."""
    done = kind_cluster.docker("exec", node, "crictl", "images", "-o", "json")
    text = done.stdout if isinstance(done, subprocess.CompletedProcess) else str(done)
    names: set[str] = set()
    for image in json.loads(text)["images"]:
        names.update(image.get("repoTags") or [])
    return names


def placements() -> set[tuple[str, str, str]]:
    """(case, role, image) for every container of every pod any chart case renders."""
    normalise = chart_images_module().normalise
    found: set[tuple[str, str, str]] = set()
    for case in CASES:
        for doc in render(case):
            for spec in pod_specs(doc):
                role = (spec.get("nodeSelector") or {}).get(ROLE_LABEL, "?")
                found.update((case.id, role, normalise(c["image"])) for c in containers(spec))
            if doc["kind"] == "TestRun":  # k6-operator's runners: the load chart's placement
                runner = doc["spec"].get("runner") or {}
                role = (runner.get("nodeSelector") or {}).get(ROLE_LABEL, "?")
                found.add((case.id, role, normalise(runner["image"])))
    return found


def missing(placed: set[tuple[str, str, str]], nodes: dict[str, str], held: dict[str, set[str]]) -> list[str]:
    """The placements whose image is not on the node of its role (or whose role names no node)."""
    out = []
    for case, role, image in sorted(placed):
        node = nodes.get(role)
        if node is None:
            out.append(f"{case}: {image}: no node has {ROLE_LABEL}={role}")
        elif image not in held[node]:
            out.append(f"{case}: {image} is not on {node} ({role})")
    return out


@pytest.mark.timeout(900)
def test_every_image_a_chart_names_is_on_the_node_its_pod_runs_on(
    kind_cluster: Any, kube: Kube, chart_images: list[str]
) -> None:
    nodes = kube.nodes_by_role()
    held = {node: node_images(kind_cluster, node) for node in nodes.values()}
    placed = placements()
    assert {image for _, _, image in placed} == set(chart_images)  # the same list make images builds
    assert {role for _, role, _ in placed} <= {"services", "load"}, sorted(placed)
    assert not missing(placed, nodes, held)


def test_an_image_not_loaded_or_a_role_without_a_node_is_reported() -> None:
    nodes = {"services": "observatory-worker"}
    held = {"observatory-worker": {"docker.io/observatory/fastapi:dev"}}
    placed = {
        ("a", "services", "docker.io/observatory/fastapi:dev"),
        ("a", "services", "docker.io/observatory/flask:dev"),
        ("b", "load", "docker.io/grafana/k6:1.8.1"),
    }
    assert missing(placed, nodes, held) == [
        "a: docker.io/observatory/flask:dev is not on observatory-worker (services)",
        f"b: docker.io/grafana/k6:1.8.1: no node has {ROLE_LABEL}=load",
    ]
