"""Schemathesis against every running service, from the one contract: no 5xx, nothing outside the contract."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from observatory.run.service import ServiceProcess
from tests.conftest import ALL_SERVICES, BASELINES, CONTRACT

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SCHEMA = schemathesis.openapi.from_path(str(CONTRACT))


def operations(service: str) -> list:
    baseline_routes = set(SCHEMA.raw_schema["x-baseline-routes"])
    result = []
    for operation in SCHEMA.get_all_operations():
        op = operation.ok()
        if op.path == "/metrics":
            continue
        if service in BASELINES and op.path not in baseline_routes:
            continue
        result.append(op)
    return result


@pytest.mark.parametrize("service_name", list(ALL_SERVICES))
def test_fuzz(service_name: str, services: dict[str, ServiceProcess]) -> None:
    service = services[service_name]
    failures = []
    for operation in operations(service_name):

        @settings(
            max_examples=25,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=service.url, timeout=10)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Exception as error:  # collect every operation's first failure
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:500]}")
    assert not failures, "\n".join(failures)
