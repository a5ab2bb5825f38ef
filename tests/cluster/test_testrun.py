"""The load chart's TestRun as k6-operator runs it (tests/kind/k6operator runs it there): each runner's summary on the
results volume under its own name, the script's tags kept although the operator adds its own on k6's command line,
and the operator's starter pod as restricted as every pod of the chart."""

from __future__ import annotations

import re

from tests.cluster.rendering import CASES, render

CASE = next(c for c in CASES if c.values and c.values.stem == "testrun-values")


def rendered_testrun() -> dict:
    (run,) = [d for d in render(CASE) if d["kind"] == "TestRun"]
    return run


def test_each_runner_writes_its_own_summary_to_the_results_claim() -> None:
    """All runners share one testid, so the summary path also names the runner's pod (else they overwrite one file),
    and it is on the claim `import-k6` reads, not on an emptyDir that dies with the pod."""
    runner = rendered_testrun()["spec"]["runner"]
    env = {item["name"]: item for item in runner["env"]}
    assert env["SUMMARY_PATH"]["value"] == "/results/$(TESTID)-$(POD_NAME).json"
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    # $(VAR) expands only to variables defined earlier in the list
    names = [item["name"] for item in runner["env"]]
    assert names.index("POD_NAME") < names.index("TESTID") < names.index("SUMMARY_PATH")
    volumes = {v["name"]: v for v in runner["volumes"]}
    assert volumes["results"]["persistentVolumeClaim"]["claimName"] == "observatory-load-results"


def test_the_scripts_tags_are_on_the_command_line_beside_the_operators() -> None:
    """k6-operator appends `--tag instance_id=N --tag job_name=...`, and tags on k6's command line replace the
    script's `options.tags`: the series would lose testid, run, framework, profile and workload."""
    run = rendered_testrun()
    env = {item["name"]: item.get("value") for item in run["spec"]["runner"]["env"]}
    tags = dict(re.findall(r"--tag (\w+)=(\S+)", run["spec"]["arguments"]))
    assert tags["testid"] == tags["run"] == run["metadata"]["name"] == env["TESTID"]
    assert (tags["framework"], tags["profile"], tags["workload"]) == (env["FRAMEWORK"], env["PROFILE"], env["WORKLOAD"])


def test_the_operators_initializer_sees_the_scripts_environment() -> None:
    """k6-operator's initializer runs `k6 archive ARGUMENTS` then `k6 inspect` for the scenario's VUs; archive reads
    no environment by default, so it saw the script's default (a 1-VU smoke test) and the operator refused two runners
    ("number of instances > number of VUs"), on the kind cluster."""
    assert "--include-system-env-vars" in rendered_testrun()["spec"]["arguments"].split()


def test_the_starter_is_restricted_and_on_the_load_node() -> None:
    """The starter pod gets only what the TestRun gives it: without these, Pod Security "restricted" rejects it."""
    run = rendered_testrun()
    starter = run["spec"]["starter"]
    assert starter["nodeSelector"] == run["spec"]["runner"]["nodeSelector"] == {"observatory.dev/role": "load"}
    assert starter["securityContext"]["runAsNonRoot"] is True
    assert starter["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    container = starter["containerSecurityContext"]
    assert container["allowPrivilegeEscalation"] is False and container["capabilities"]["drop"] == ["ALL"]
    assert container["readOnlyRootFilesystem"] is True
