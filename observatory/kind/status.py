"""`python -m observatory.kind status`: whether the cluster is up and healthy, and how to reach it."""

from __future__ import annotations

from observatory.kind import layout
from observatory.kind.lifecycle import current, health


def show() -> int:
    """Print the cluster's state and its environment; 0 when it is up and healthy."""
    cluster = current()
    if cluster is None:
        print("cluster: not up (make cluster brings it up)")
        return 1
    problem = health(cluster)
    print(f"cluster: {cluster.name} " + ("is up and healthy" if problem is None else f"is not healthy: {problem}"))
    print(f"  KUBECONFIG={cluster.kubeconfig}")
    if cluster.engine.ours:
        print(f"  DOCKER_HOST={cluster.engine.env['DOCKER_HOST']}  (docker CLI: {layout.DEBIAN_DOCKER})")
    return 0 if problem is None else 1
