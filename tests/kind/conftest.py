"""The real kind cluster of kind-config.yaml for this folder, brought up through `make cluster`'s own code.

`kind_cluster` is a no-op when a healthy cluster is up (and then leaves it up); when it created the cluster, it deletes
it after the folder's last test and then checks that the host is as it was: no node container, no dockerd of ours,
no docker0 bridge, the host sysctls as read before the cluster started. A missing docker or kind makes the tests
fail with the fix, never skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from observatory.errors import ObservatoryError
from observatory.kind import lifecycle, sysctls
from observatory.kind.cluster import Cluster
from observatory.kind.dockerd import own


@pytest.fixture(scope="package")
def kind_cluster() -> Iterator[Cluster]:
    """The cluster, up and healthy: `.kubeconfig`, `.kubectl(*args)`, `.docker(*args)`, `.load_image(name)`, `.environ()`."""
    created = lifecycle.current() is None
    host_sysctls = sysctls.read()
    try:
        cluster = lifecycle.up()
    except ObservatoryError as error:
        pytest.fail(str(error))
    try:
        yield cluster
    finally:
        if created:
            lifecycle.down()
            assert lifecycle.current() is None, "the cluster is still there after make cluster-down"
            assert own.pid() is None, "our dockerd still runs after make cluster-down"
            assert not Path("/sys/class/net/docker0").exists() or not cluster.engine.ours, "docker0 is left"
            assert sysctls.read() == host_sysctls, "the host sysctls differ from before the cluster"
