"""The real kind cluster of kind-config.yaml for this folder, brought up through `make cluster`'s own code.

`kind_cluster` is a no-op when a healthy cluster is up (and then leaves it up); when it created the cluster, it deletes
it after the folder's last test and restores the host sysctls, however the tests end. A missing docker or kind makes
the tests fail with the fix, never skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from observatory.errors import ObservatoryError
from observatory.kind import lifecycle
from observatory.kind.cluster import Cluster


@pytest.fixture(scope="package")
def kind_cluster() -> Iterator[Cluster]:
    """The cluster, up and healthy: `.kubeconfig`, `.kubectl(*args)`, `.docker(*args)`, `.load_image(name)`."""
    existing = lifecycle.current()
    created = existing is None
    try:
        cluster = lifecycle.up()
    except ObservatoryError as error:
        pytest.fail(str(error))
    try:
        yield cluster
    finally:
        if created:
            lifecycle.down()
