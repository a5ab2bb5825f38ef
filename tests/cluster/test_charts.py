"""The charts, checked statically: lint, render, validate against Kubernetes and CRD schemas, and our deploy rules.

No cluster runs here: every check reads what `helm template` renders, offline.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.cluster.rendering import (
    CASES,
    CHARTS,
    ROOT,
    Case,
    containers,
    helm,
    pod_specs,
    render,
    render_text,
    values_args,
)

KUBERNETES_VERSION = "1.34.0"
SCHEMAS = Path(__file__).parent / "schemas"
CUSTOM_RESOURCES = {
    "monitoring.coreos.com/v1/ServiceMonitor": SCHEMAS / "servicemonitor-monitoring.coreos.com-v1.json",
    "k6.io/v1alpha1/TestRun": SCHEMAS / "testrun-k6.io-v1alpha1.json",
}
KIND_CONFIG = yaml.safe_load((ROOT / "kind-config.yaml").read_text())
NODE_LABELS = [node.get("labels", {}) for node in KIND_CONFIG["nodes"]]


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [doc for doc in docs if doc["kind"] == kind]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_lint_is_clean_in_strict_mode(case: Case) -> None:
    done = subprocess.run(
        [helm(), "lint", "--strict", str(case.chart), *values_args(case)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rendered_objects_match_their_schemas(case: Case) -> None:
    docs = render(case)
    assert docs, "the chart rendered nothing"
    for doc in docs:
        key = f"{doc['apiVersion']}/{doc['kind']}"
        if key in CUSTOM_RESOURCES:
            schema = json.loads(CUSTOM_RESOURCES[key].read_text())
            jsonschema.validate(doc, schema)
        else:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_a_typo_in_a_kubernetes_object_is_caught() -> None:
    """kubernetes-validate in strict mode rejects unknown fields, so the schema check above can fail."""
    deployment = next(d for d in render(Case(ROOT / "charts/observatory-services", None)) if d["kind"] == "Deployment")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_a_typo_in_a_custom_resource_is_caught() -> None:
    """The CRD subsets reject unknown fields, so the schema check above can fail."""
    schema = json.loads(CUSTOM_RESOURCES["monitoring.coreos.com/v1/ServiceMonitor"].read_text())
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "x"},
        "spec": {"selector": {}, "endpoints": [{"port": "http", "intreval": "5s"}]},
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(monitor, schema)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_pod_is_locked_down_and_sized(case: Case) -> None:
    pods = [pod for doc in render(case) for pod in pod_specs(doc)]
    for doc in by_kind(render(case), "TestRun"):
        runner = doc["spec"]["runner"]
        container = {"name": "runner", "securityContext": runner["containerSecurityContext"], **runner}
        pods.append({"securityContext": runner["securityContext"], "containers": [container]})
    assert pods
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        for container in containers(pod):
            security = container.get("containerSecurityContext") or container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, container["name"]
            assert security["readOnlyRootFilesystem"] is True, container["name"]
            assert security["capabilities"]["drop"] == ["ALL"], container["name"]
            limits, requests = container["resources"]["limits"], container["resources"]["requests"]
            assert {"cpu", "memory"} <= limits.keys() and {"cpu", "memory"} <= requests.keys(), container["name"]


@pytest.mark.parametrize("case", [c for c in CASES if c.chart.name == "observatory-services"], ids=lambda c: c.id)
def test_services_probe_health_routes_and_write_only_to_empty_dirs(case: Case) -> None:
    for deployment in by_kind(render(case), "Deployment"):
        if deployment["metadata"]["name"].endswith("otel-collector"):
            continue
        pod = deployment["spec"]["template"]["spec"]
        (service,) = pod["containers"]
        assert service["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert service["livenessProbe"]["httpGet"]["path"] == "/health/live"
        empty_dirs = {volume["name"] for volume in pod["volumes"] if "emptyDir" in volume}
        mounts = {mount["mountPath"]: mount["name"] for mount in service["volumeMounts"]}
        assert set(mounts.values()) <= empty_dirs
        env = {item["name"]: item for item in service["env"]}
        # the multiprocess metric files live under the data dir (an emptyDir), so a read-only root works
        assert env["OBSERVATORY_DATA_DIR"]["value"] in mounts


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_pods_land_on_the_kind_node_for_their_role(case: Case) -> None:
    role = "load" if case.chart.name == "observatory-load" else "services"
    pods = [pod for doc in render(case) for pod in pod_specs(doc)]
    pods += [doc["spec"]["runner"] for doc in by_kind(render(case), "TestRun")]
    for pod in pods:
        selector = pod["nodeSelector"]
        assert selector == {"observatory.dev/role": role}
        assert any(selector.items() <= labels.items() for labels in NODE_LABELS), "no kind node carries the label"


def test_every_framework_and_profile_renders_from_one_template() -> None:
    case = next(c for c in CASES if c.values and c.values.stem == "all-profiles-values")
    docs = render(case)
    deployed = {
        (d["metadata"]["labels"]["observatory.dev/framework"], d["metadata"]["labels"]["observatory.dev/profile"])
        for d in by_kind(docs, "Deployment")
        if "observatory.dev/framework" in d["metadata"]["labels"]
    }
    profiles = {
        (path.parent.name, name)
        for path in (ROOT / "services").glob("*/profiles.toml")
        for name in __import__("tomllib").loads(path.read_text())["profiles"]
    }
    baselines = {(f, p) for f, p in profiles if f == "baseline"}
    expected = (profiles - baselines) | {("baseline-asgi", "uvicorn"), ("baseline-wsgi", "gunicorn-sync")}
    assert expected <= deployed
    assert len(by_kind(docs, "HorizontalPodAutoscaler")) == len(deployed)
    templates = sorted(p.name for p in (ROOT / "charts/observatory-services/templates").glob("*.yaml"))
    assert templates.count("deployment.yaml") == 1 and not any("fastapi" in t or "flask" in t for t in templates)


def test_service_monitors_are_picked_up_by_kube_prometheus_stack() -> None:
    docs = render(Case(ROOT / "charts/observatory-services", None))
    monitoring = yaml.safe_load((ROOT / "charts/monitoring/kube-prometheus-stack-values.yaml").read_text())
    prometheus = monitoring["prometheus"]["prometheusSpec"]
    assert prometheus["enableRemoteWriteReceiver"] is True
    assert "native-histograms" in prometheus["enableFeatures"]
    monitors = by_kind(docs, "ServiceMonitor")
    services = {s["metadata"]["name"]: s for s in by_kind(docs, "Service")}
    assert len(monitors) == 3
    for monitor in monitors:
        # with serviceMonitorSelectorNilUsesHelmValues false Prometheus takes every monitor; the release label
        # keeps them picked up when a user turns that back on
        assert prometheus["serviceMonitorSelectorNilUsesHelmValues"] is False
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        (endpoint,) = monitor["spec"]["endpoints"]
        assert endpoint["path"] == "/metrics"
        matched = [
            s
            for s in services.values()
            if monitor["spec"]["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
        ]
        assert len(matched) == 1
        assert endpoint["port"] in {p["name"] for p in matched[0]["spec"]["ports"]}


def test_database_password_is_generated_never_committed() -> None:
    """With `helm install`, the chart generates the password (and keeps it on upgrades, by lookup)."""
    case = Case(ROOT / "charts/observatory-services", None)
    render_once, render_twice = (
        subprocess.run(
            [helm(), "template", case.release, str(case.chart)], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    )
    passwords = []
    for text in (render_once, render_twice):
        (secret,) = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "Secret"]
        passwords.append(base64.b64decode(secret["data"]["password"]).decode())
    assert passwords[0] != passwords[1] and len(passwords[0]) == 32
    committed = "\n".join(p.read_text() for p in (ROOT / "charts").rglob("*.yaml"))
    assert not any(password in committed for password in passwords)
    for deployment in by_kind(yaml.safe_load_all(render_once), "Deployment"):
        for item in deployment["spec"]["template"]["spec"]["containers"][0].get("env", []):
            if item["name"].endswith("PASSWORD"):
                assert "secretKeyRef" in item["valueFrom"]


def test_with_an_existing_secret_every_render_is_the_same() -> None:
    """Tilt renders with `helm template` on every evaluation: nothing may be generated then."""
    args = ["--set", "postgresql.existingSecret=made-once", "--set", "externalReplicas=true"]
    chart = str(ROOT / "charts/observatory-services")
    first, second = (
        subprocess.run([helm(), "template", "s", chart, *args], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    )
    assert first == second
    docs = [d for d in yaml.safe_load_all(first) if d]
    assert not by_kind(docs, "Secret")
    (postgres,) = by_kind(docs, "StatefulSet")
    (password,) = [v for v in pod_specs(postgres)[0]["volumes"] if v["name"] == "password"]
    assert password["secret"]["secretName"] == "made-once"
    for deployment in by_kind(docs, "Deployment"):
        assert "replicas" not in deployment["spec"], "a re-apply would scale the service back"
        env = {i["name"]: i for i in pod_specs(deployment)[0]["containers"][0]["env"]}
        assert env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "made-once"


def test_scaling_a_service_does_not_restart_postgresql() -> None:
    chart = str(ROOT / "charts/observatory-services")

    def checksum(*args: str) -> str:
        text = subprocess.run([helm(), "template", "s", chart, *args], capture_output=True, text=True, check=True)
        (postgres,) = by_kind([d for d in yaml.safe_load_all(text.stdout) if d], "StatefulSet")
        return postgres["spec"]["template"]["metadata"]["annotations"]["checksum/init"]

    plain = checksum()
    assert (
        checksum("--set", "services.fastapi-uvicorn.replicas=4", "--set", "services.flask-gunicorn-sync.workers=4")
        == plain
    )
    # a new database to create does change it: the init script must run
    assert checksum("--set", "services.baseline-asgi-uvicorn.database=true") != plain


def test_probes_outlast_a_benchmark_above_capacity() -> None:
    """Above capacity a probe waits in the same queue as the load: it must not take the pod out or restart it."""
    docs = render(Case(ROOT / "charts/observatory-services", None))
    for deployment in by_kind(docs, "Deployment"):
        (service,) = pod_specs(deployment)[0]["containers"]
        ready, live = service["readinessProbe"], service["livenessProbe"]
        assert ready["timeoutSeconds"] >= 5 and ready["periodSeconds"] * ready["failureThreshold"] >= 60
        assert live["timeoutSeconds"] >= 10 and live["periodSeconds"] * live["failureThreshold"] >= 120
        assert live["httpGet"]["path"] == "/health/live"  # no database query: a slow database restarts nothing
    (postgres,) = by_kind(docs, "StatefulSet")
    (db,) = pod_specs(postgres)[0]["containers"]
    command = db["readinessProbe"]["exec"]["command"]
    assert command[0] == "pg_isready" and "--host=127.0.0.1" in command, "readiness over TCP, as the services connect"
    assert db["readinessProbe"]["timeoutSeconds"] >= 5


def test_every_service_runs_the_same_workers_per_pod() -> None:
    """One value sets the workers of every service: "per replica" compares equal process counts."""
    chart = ROOT / "charts/observatory-services"
    services = yaml.safe_load((chart / "values.yaml").read_text())["services"]
    every = [arg for name in services for arg in ("--set", f"services.{name}.enabled=true")]
    done = subprocess.run(
        [helm(), "template", "svc", str(chart), "--set", "workersPerPod=3", *every],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    docs = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    assert len(by_kind(docs, "Deployment")) == len(services)
    workers = {
        env["value"]
        for deployment in by_kind(docs, "Deployment")
        for env in pod_specs(deployment)[0]["containers"][0]["env"]
        if env["name"] == "WEB_CONCURRENCY"
    }
    assert workers == {"3"}


def test_cpu_limits_leave_room_above_every_profiles_processes() -> None:
    """A CPU limit at the request lets CFS throttle a 100 ms period: as long as the SLO."""
    services = yaml.safe_load((ROOT / "charts/observatory-services/values.yaml").read_text())
    most_processes = max(s.get("workers", services["workersPerPod"]) for s in services["services"].values())
    for deployment in by_kind(render(Case(ROOT / "charts/observatory-services", None)), "Deployment"):
        (service,) = pod_specs(deployment)[0]["containers"]
        assert float(service["resources"]["limits"]["cpu"]) > most_processes
    load = yaml.safe_load((ROOT / "charts/observatory-load/values.yaml").read_text())
    assert float(load["resources"]["limits"]["cpu"]) > float(load["resources"]["requests"]["cpu"])


def test_monitoring_stays_off_the_services_and_load_nodes_and_keeps_its_data() -> None:
    monitoring = yaml.safe_load((ROOT / "charts/monitoring/kube-prometheus-stack-values.yaml").read_text())
    control_plane = next(n for n in KIND_CONFIG["nodes"] if n["role"] == "control-plane")
    for placed in (
        monitoring["prometheus"]["prometheusSpec"],
        monitoring["grafana"],
        monitoring["prometheusOperator"],
        monitoring["prometheusOperator"]["admissionWebhooks"]["patch"],
        monitoring["kube-state-metrics"],
    ):
        assert placed["nodeSelector"].items() <= control_plane["labels"].items()
        assert any(t["key"] == "node-role.kubernetes.io/control-plane" for t in placed["tolerations"])
    storage = monitoring["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert storage["resources"]["requests"]["storage"].endswith("Gi")


def test_dashboards_config_maps_hold_exactly_the_dashboards() -> None:
    docs = render(Case(ROOT / "charts/observatory-services", None))
    shipped = {}
    for config_map in by_kind(docs, "ConfigMap"):
        if config_map["metadata"]["labels"].get("grafana_dashboard") == "1":
            shipped.update(config_map["data"])
    files = {p.name: p.read_text() for p in (ROOT / "dashboards").glob("*.json")}
    assert len(files) >= 3
    assert shipped == files


def test_scripts_config_map_holds_exactly_the_load_tests() -> None:
    docs = render(Case(ROOT / "charts/observatory-load", None))
    (scripts,) = [c for c in by_kind(docs, "ConfigMap") if c["metadata"]["name"].endswith("-scripts")]
    files = {p.relative_to(ROOT / "loadtests").as_posix(): p.read_text() for p in (ROOT / "loadtests").rglob("*.js")}
    shipped = {key.replace("__", "/"): text for key, text in scripts["data"].items()}
    assert shipped == files
    # the pods see the same tree: each key is mounted back at its relative path
    (cron,) = by_kind(docs, "CronJob")
    (volume,) = [v for v in pod_specs(cron)[0]["volumes"] if v["name"] == "scripts"]
    assert {item["path"] for item in volume["configMap"]["items"]} == set(files)


def test_scheduled_benchmarks_run_in_turn_tagged_and_keep_their_summaries() -> None:
    docs = render(Case(ROOT / "charts/observatory-load", None))
    values = yaml.safe_load((ROOT / "charts/observatory-load/values.yaml").read_text())
    (cron,) = by_kind(docs, "CronJob")
    pod = pod_specs(cron)[0]
    steps = [c["name"] for c in containers(pod)]
    # per replica count, per benchmark: scale, ready, each rate of the ladder in order, publish, restore
    expected = [
        f"r{n}-{b['name']}-{step}"
        for n in values["replicaSweep"]["replicas"]
        for b in values["benchmarks"]
        for step in ["scale", "ready", *b["rates"], "publish", "restore"]
    ]
    assert steps == expected
    assert values["replicaSweep"]["replicas"] == [1, 2, 4]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    runs = [c for c in containers(pod) if c["image"].startswith("grafana/k6") and not c["name"].endswith("-publish")]
    testids = set()
    for container in runs:
        env = {item["name"]: item.get("value") for item in container["env"]}
        script = container["args"][0]
        assert container["command"] == ["/bin/sh", "-c"] and script.rstrip().endswith("exit 0")
        # no --tag: on k6's command line it replaces the script's tags (testid, run, framework, ...)
        assert "experimental-prometheus-rw" in script and "--tag" not in script
        assert container["name"].startswith(f"r{env['REPLICAS']}-")
        assert env["K6_PROMETHEUS_RW_SERVER_URL"] == values["remoteWriteUrl"]
        assert env["K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM"] == "true"
        assert env["SUMMARY_PATH"] == "/results/$(TESTID).json"
        testids.add(env["TESTID"])
    assert len(testids) == len(runs)
    (results,) = [v for v in pod["volumes"] if v["name"] == "results"]
    (claim,) = by_kind(docs, "PersistentVolumeClaim")
    assert results["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    # the results outlive `tilt down` and `helm uninstall`
    assert claim["metadata"]["annotations"]["tilt.dev/down-policy"] == "keep"
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_each_publish_step_reads_exactly_its_ladders_summaries() -> None:
    (cron,) = by_kind(render(Case(ROOT / "charts/observatory-load", None)), "CronJob")
    steps = containers(pod_specs(cron)[0])
    for index, step in enumerate(steps):
        if not step["name"].endswith("-publish"):
            continue
        env = {item["name"]: item.get("value") for item in step["env"]}
        ladder = []
        for earlier in reversed(steps[:index]):
            if earlier["command"] == ["kubectl"]:
                break
            ladder.insert(0, {i["name"]: i.get("value") for i in earlier["env"]}["SUMMARY_PATH"])
        summaries = [path.replace("$(TESTID)", f"$(POD_NAME)-{name}") for path, name in
                     zip(ladder, [s["name"] for s in steps[index - len(ladder) : index]], strict=True)]  # fmt: skip
        assert env["SUMMARIES"].split(",") == summaries
        assert env["REPLICAS"] == step["name"].split("-")[0].removeprefix("r")


def test_the_schedule_has_a_time_zone_and_a_starting_deadline() -> None:
    (cron,) = by_kind(render(Case(ROOT / "charts/observatory-load", None)), "CronJob")
    assert cron["spec"]["timeZone"] == "Etc/UTC"
    assert 0 < cron["spec"]["startingDeadlineSeconds"] <= 6 * 3600


def test_the_replica_sweep_may_only_read_and_scale_the_benchmarked_deployments() -> None:
    """Least privilege: a Role limited by name to the services' Deployments, its token only in the kubectl steps."""
    docs = render(Case(ROOT / "charts/observatory-load", None))
    services = render(Case(ROOT / "charts/observatory-services", None))
    deployments = {d["metadata"]["name"] for d in by_kind(services, "Deployment")}
    (account,) = by_kind(docs, "ServiceAccount")
    (role,) = by_kind(docs, "Role")
    (binding,) = by_kind(docs, "RoleBinding")
    assert account["metadata"]["name"] == role["metadata"]["name"] == "observatory-load-scaler"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "observatory-load-scaler",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "observatory-load-scaler", "namespace": "default"}
    ]
    assert not by_kind(docs, "ClusterRole") and not by_kind(docs, "ClusterRoleBinding")
    granted = {(r["resources"][0], tuple(r["verbs"])): set(r["resourceNames"]) for r in role["rules"]}
    assert granted == {
        ("deployments/scale", ("get", "patch")): deployments,
        ("deployments", ("get", "list", "watch")): deployments,
    }
    assert all(r["apiGroups"] == ["apps"] for r in role["rules"])
    (cron,) = by_kind(docs, "CronJob")
    pod = pod_specs(cron)[0]
    assert pod["serviceAccountName"] == "observatory-load-scaler" and pod["automountServiceAccountToken"] is False
    for container in containers(pod):
        mounts = {m["name"] for m in container["volumeMounts"]}
        if container["command"] == ["kubectl"]:
            assert "scaler-token" in mounts
            target = next(a for a in container["args"] if a.startswith("deployment/")).removeprefix("deployment/")
            assert target in deployments
        else:
            assert "scaler-token" not in mounts, f"{container['name']} (k6) must not hold the scaler's token"


def test_without_the_sweep_no_identity_and_no_kubectl_step() -> None:
    case = next(c for c in CASES if c.values and c.values.stem == "single-benchmark-values")
    docs = render(case)
    assert not by_kind(docs, "ServiceAccount") and not by_kind(docs, "Role")
    (cron,) = by_kind(docs, "CronJob")
    pod = pod_specs(cron)[0]
    assert "serviceAccountName" not in pod
    assert [c["name"] for c in containers(pod)] == ["django-db", "django-db-publish"]


def test_one_off_job_runs_the_same_sequence_once() -> None:
    case = next(c for c in CASES if c.values and c.values.stem == "jobs-values")
    (job,) = by_kind(render(case), "Job")
    names = [c["name"] for c in containers(pod_specs(job)[0])]
    assert names == ["fastapi-io", "fastapi-io-publish", "flask-sweep", "flask-sweep-publish", "django-step",
                     "django-step-publish"]  # fmt: skip
    assert job["spec"]["template"]["metadata"]["labels"]["observatory.dev/benchmark"] == "scheduled"


def test_test_run_is_one_run_of_one_benchmark_that_the_network_policy_selects() -> None:
    case = next(c for c in CASES if c.values and c.values.stem == "testrun-values")
    docs = render(case)
    (run,) = by_kind(docs, "TestRun")
    assert run["spec"]["parallelism"] == 4
    assert run["spec"]["script"]["localFile"] == "/scripts/benchmark.js"
    env = {item["name"]: item.get("value") for item in run["spec"]["runner"]["env"]}
    # one testid for all four runners, so Prometheus shows one run; the rate is the total they share
    assert env["TESTID"] == env["RUN_ID"] == run["metadata"]["name"] and "$(" not in env["TESTID"]
    assert env["RATE"] == "800" and env["FRAMEWORK"] == "flask"
    (policy,) = by_kind(docs, "NetworkPolicy")
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= run["spec"]["runner"]["metadata"]["labels"].items()
    # four runners at one CPU each fit a laptop's load node; the old mode asked for 84
    requests = run["spec"]["runner"]["resources"]["requests"]["cpu"]
    assert float(requests) * run["spec"]["parallelism"] <= 4


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_every_chart_has_a_schema_notes_and_ci_values(chart: Path) -> None:
    assert json.loads((chart / "values.schema.json").read_text())["type"] == "object"
    assert (chart / "templates" / "NOTES.txt").read_text().strip()
    assert list((chart / "ci").glob("*.yaml"))


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_values_schema_rejects_a_bad_value(chart: Path) -> None:
    bad = {
        "observatory-services": "instrumentation:\n  mode: verbose\n",
        "observatory-load": "testRun:\n  parallelism: 0\n",
    }
    done = subprocess.run(
        [helm(), "template", "x", str(chart), "--values", "-"], input=bad[chart.name], capture_output=True, text=True
    )
    assert done.returncode != 0 and "schema" in done.stderr.lower(), done.stderr


def checkov() -> Path:
    """checkov from its own venv (make checkov); the setup installs it, so a missing one fails the test."""
    path = ROOT / ".tools" / "checkov" / "bin" / "checkov"
    assert path.is_file(), "checkov is missing: run make setup"
    return path


def test_checkov_finds_nothing_beyond_the_written_exceptions(tmp_path: Path) -> None:
    for case in CASES:
        (tmp_path / f"{case.id.replace(':', '-')}.yaml").write_text(render_text(case))
    config = ROOT / ".checkov.yaml"
    done = subprocess.run(
        [checkov(), "--config-file", str(config), "-d", str(tmp_path), "-o", "json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    reports = json.loads(done.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for report in reports
        for check in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert sum(report["summary"]["passed"] for report in reports) > 1000
    assert done.returncode == 0, done.stderr[-2000:]
    # every exception carries its reason: a comment block right above the check id
    lines = config.read_text().splitlines()
    for index, line in enumerate(lines):
        if line.strip().startswith("- CKV"):
            assert lines[index - 1].strip().startswith("#"), f"{line.strip()} has no reason in .checkov.yaml"


def test_the_largest_scheduled_benchmark_the_chart_allows_still_applies(tmp_path: Path) -> None:
    """kubectl apply (and Tilt) keep the object in a 256 KiB annotation; beyond 160 steps the chart refuses."""
    chart = str(ROOT / "charts/observatory-load")
    rows = [
        f"  - {{name: {name}-json, service: {service}, framework: {name}, profile: {profile}, workers: 2, "
        f"workload: json, scenario: constant, rates: [200, 400, 600, 800], duration: 30s, warmup: 1s, maxVus: 500}}"
        for name, service, profile in [
            ("fastapi", "fastapi-gunicorn-uvicorn", "gunicorn-uvicorn"),
            ("flask", "flask-gunicorn-gthread", "gunicorn-gthread"),
            ("django", "django-gunicorn-gthread", "gunicorn-gthread"),
            ("django", "django-uvicorn", "uvicorn"),
        ]
    ]
    values = tmp_path / "values.yaml"
    values.write_text("replicaSweep:\n  replicas: [1, 2, 4, 8, 16]\nbenchmarks:\n" + "\n".join(rows) + "\n")
    values.write_text(
        values.read_text().replace("django-json, service: django-uvicorn", "djuv-json, service: django-uvicorn")
    )
    done = subprocess.run(
        [helm(), "template", "observatory-load", chart, "--values", str(values)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    (cron,) = [d for d in yaml.safe_load_all(done.stdout) if d and d["kind"] == "CronJob"]
    assert len(containers(pod_specs(cron)[0])) == 160
    assert len(json.dumps(cron, separators=(",", ":"))) < 256 * 1024
    more = subprocess.run(
        [
            helm(),
            "template",
            "observatory-load",
            chart,
            "--values",
            str(values),
            "--set",
            "replicaSweep.replicas={1,2,4,8,16,32}",
        ],
        capture_output=True,
        text=True,
    )
    assert more.returncode != 0 and "192 steps" in more.stderr
