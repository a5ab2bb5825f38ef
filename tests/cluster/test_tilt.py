"""The Tiltfile, evaluated by the real Tilt (`tilt alpha tiltfile-result`, the setup's build at the pinned version).

Tilt loads `ext://helm_resource` from GitHub, which this machine cannot reach: the test serves the extension repo
from a local git repository holding a stand-in with the same functions (tests/cluster/tilt_extensions), through the
same loader Tilt always uses (its tilt_modules folder under XDG_DATA_HOME, refreshed with git). The user's Tiltfile
is evaluated unchanged, in a copy of the repository. No cluster is needed: the kube context is kind-observatory on a
loopback address nothing listens on, and evaluation never contacts it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.cluster.rendering import ROOT, helm

EXTENSIONS = Path(__file__).parent / "tilt_extensions"
COPIED = ["Tiltfile", "charts", "dashboards", "loadtests", "services", "kind-config.yaml", ".dockerignore"]
KIND_NAME = yaml.safe_load((ROOT / "kind-config.yaml").read_text())["name"]
# Tilt's trigger modes (pkg/model/trigger_mode.go): 0 auto, 1 manual with auto init, 2 manual, 3 auto without init
TRIGGER_MANUAL = 2
BUILT = {"observatory/fastapi", "observatory/flask", "observatory/django"}


def tilt() -> Path:
    path = ROOT / ".tools" / "bin" / "tilt"
    assert path.is_file(), "tilt is missing: run make setup (make tilt)"
    return path


def git(*args: str, cwd: Path, env: dict[str, str]) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A copy of the repository, a home, the stand-in extension repo and a kubeconfig for kind-observatory."""
    base = tmp_path_factory.mktemp("tilt")
    repo = base / "repo"
    repo.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", "node_modules", "*.egg-info")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, symlinks=True, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, repo / name)
    home = base / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": f"{Path(helm()).parent}:/usr/local/bin:/usr/bin:/bin",
        "XDG_DATA_HOME": str(base / "xdg-data"),
        "XDG_CONFIG_HOME": str(base / "xdg-config"),
        "XDG_STATE_HOME": str(base / "xdg-state"),
        "XDG_CACHE_HOME": str(base / "xdg-cache"),
        "KUBECONFIG": str(base / "kubeconfig"),
        "TILT_DISABLE_ANALYTICS": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(base / "gitconfig"),
        "GIT_TERMINAL_PROMPT": "0",
    }
    # the extension repo: a local git repository, which git reaches wherever Tilt asks for the GitHub one
    extensions = base / "tilt-extensions"
    shutil.copytree(EXTENSIONS, extensions)
    (base / "gitconfig").write_text(
        f'[user]\n\tname = test\n\temail = test@localhost\n[url "file://{extensions}"]\n'
        "\tinsteadOf = https://github.com/tilt-dev/tilt-extensions\n"
    )
    git("init", "-q", "-b", "master", cwd=extensions, env=env)
    git("add", ".", cwd=extensions, env=env)
    git("commit", "-q", "-m", "stand-in", cwd=extensions, env=env)
    # pre-populated, as after a first `tilt up` online: tilt_modules/<import path>
    modules = base / "xdg-data" / "tilt-dev" / "tilt_modules" / "github.com" / "tilt-dev"
    modules.mkdir(parents=True)
    git(
        "clone",
        "-q",
        "https://github.com/tilt-dev/tilt-extensions",
        str(modules / "tilt-extensions"),
        cwd=base,
        env=env,
    )
    (base / "kubeconfig").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": KIND_NAME, "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": KIND_NAME, "user": {"token": "unused"}}],
                "contexts": [{"name": f"kind-{KIND_NAME}", "context": {"cluster": KIND_NAME, "user": KIND_NAME}}],
                "current-context": f"kind-{KIND_NAME}",
            }
        )
    )
    return {"repo": repo, "env": env}


def evaluate(sandbox: dict, *args: str) -> tuple[dict, str]:
    done = subprocess.run(
        [tilt(), "alpha", "tiltfile-result", "-v", "-f", "Tiltfile", *(["--", *args] if args else [])],
        cwd=sandbox["repo"],
        env=sandbox["env"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout), done.stderr


@pytest.fixture(scope="module")
def result(sandbox: dict) -> dict:
    first, log = evaluate(sandbox)
    second, _ = evaluate(sandbox)
    return {"first": first, "second": second, "log": log}


def manifests(result: dict) -> dict[str, dict]:
    return {m["Name"]: m for m in result["first"]["Manifests"]}


def k8s_yaml(manifest: dict) -> list[dict]:
    return [d for d in yaml.safe_load_all(manifest["DeployTarget"].get("yaml") or "") if d]


def test_every_resource_has_a_label(result: dict) -> None:
    found = manifests(result)
    assert "uncategorized" not in found, "objects no resource claims: " + ", ".join(
        f"{d['kind']}/{d['metadata']['name']}" for d in k8s_yaml(found.get("uncategorized", {"DeployTarget": {}}))
    )
    unlabelled = [name for name, m in found.items() if not m.get("Labels")]
    assert not unlabelled
    assert {"kube-prometheus-stack", "servicemonitors", "observatory-load-scheduled", "benchmark"} <= found.keys()


def test_service_monitors_wait_for_kube_prometheus_stack(result: dict) -> None:
    found = manifests(result)
    monitors = {
        name: [d for d in k8s_yaml(m) if d["kind"] == "ServiceMonitor"]
        for name, m in found.items()
        if "yaml" in m["DeployTarget"]
    }
    holding = {name for name, docs in monitors.items() if docs}
    assert holding == {"servicemonitors"}
    assert len(monitors["servicemonitors"]) == 3
    assert "kube-prometheus-stack" in found["servicemonitors"]["ResourceDependencies"]


def test_no_resource_can_stay_pending_forever(result: dict) -> None:
    """`tilt ci` finishes when every auto-started resource is ready; each must be able to get there by itself."""
    found = manifests(result)
    for name, manifest in found.items():
        # every dependency exists, so nothing waits on a resource that never comes
        assert set(manifest.get("ResourceDependencies") or []) <= found.keys(), name
        docs = k8s_yaml(manifest)
        if any(d["kind"] == "CronJob" for d in docs):
            # a CronJob has no pod until its schedule fires: ready once applied
            assert manifest["DeployTarget"]["PodReadinessMode"] == "ignore", name
    # the on-demand benchmark neither starts with `tilt up` nor holds up `tilt ci`
    assert found["benchmark"]["TriggerMode"] == TRIGGER_MANUAL
    assert not any("benchmark" in (m.get("ResourceDependencies") or []) for m in found.values())


def test_two_evaluations_render_identical_manifests(result: dict) -> None:
    """Nothing is generated per evaluation (the PostgreSQL password comes from a Secret made once)."""
    first = {m["Name"]: m["DeployTarget"].get("yaml") for m in result["first"]["Manifests"]}
    second = {m["Name"]: m["DeployTarget"].get("yaml") for m in result["second"]["Manifests"]}
    assert first == second
    secrets = [d for m in manifests(result).values() for d in k8s_yaml(m) if d["kind"] == "Secret"]
    assert not secrets, "a Secret rendered by helm template would change on every evaluation"


def test_every_input_file_is_watched(result: dict, sandbox: dict) -> None:
    """Every file the evaluation reads is watched, the charts' symlinked dashboards and scripts too."""
    repo = sandbox["repo"]
    watched = [Path(p) for p in result["first"]["ConfigFiles"]]

    def is_watched(path: Path) -> bool:
        return any(path == w or w in path.parents for w in watched)

    inputs = [
        repo / "Tiltfile",
        *(p for chart in (repo / "charts").glob("*/Chart.yaml") for p in chart.parent.rglob("*") if p.is_file()),
        # what the charts read through their symlinks, which a watch of the chart folder does not follow
        *(repo / "dashboards").glob("*.json"),
        *(repo / "loadtests").rglob("*.js"),
        # kube-prometheus-stack's values (also a dependency of its helm_resource, which redeploys it)
        repo / "charts" / "monitoring" / "kube-prometheus-stack-values.yaml",
        # the Dockerfiles of the images built (their build contexts are watched by the image builds themselves)
        *(repo / "services" / image.split("/")[1] / "Dockerfile" for image in BUILT),
    ]
    assert not [str(p.relative_to(repo)) for p in inputs if not is_watched(p)]
    apply = manifests(result)["kube-prometheus-stack"]["DeployTarget"]["applyCmd"]["args"]
    assert "charts/monitoring/kube-prometheus-stack-values.yaml" in apply


def test_there_are_no_warnings(result: dict) -> None:
    warnings = [line for line in result["log"].splitlines() if "WARNING" in line.upper()]
    assert not warnings


def test_images_are_built_only_for_what_is_deployed(result: dict) -> None:
    """No image is built that nothing deploys (Tilt warns about one on every start)."""
    found = manifests(result)
    built = {t["selector"] for m in found.values() for t in m["ImageTargets"] or []}
    deployed = {
        c["image"].split(":")[0]
        for m in found.values()
        for d in k8s_yaml(m)
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
        if c["image"].startswith("observatory/")
    }
    assert built == deployed == BUILT
    for target in (t for m in found.values() for t in m["ImageTargets"] or []):
        assert not target["LiveUpdateSpec"].get("syncs"), "live_update cannot work on a read-only root filesystem"


def test_the_context_is_only_kind(result: dict, sandbox: dict) -> None:
    """Pointed at another cluster, the Tiltfile refuses to load."""
    env = dict(sandbox["env"])
    config = yaml.safe_load(Path(env["KUBECONFIG"]).read_text())
    config["contexts"][0]["name"] = config["current-context"] = "production"
    other = Path(env["KUBECONFIG"]).with_name("other-kubeconfig")
    other.write_text(yaml.safe_dump(config))
    env["KUBECONFIG"] = str(other)
    done = subprocess.run(
        [tilt(), "alpha", "tiltfile-result", "-f", "Tiltfile"],
        cwd=sandbox["repo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "production" in done.stderr


def test_the_kind_workflows_arguments_are_used_and_watched(sandbox: dict) -> None:
    """`tilt ci -- ...` as .github/workflows/kind.yaml runs it: its values file and --set reach the charts."""
    smoke = "charts/observatory-load/ci/kind-smoke-values.yaml"
    workflow = (ROOT / ".github" / "workflows" / "kind.yaml").read_text()
    assert f"--load-values {smoke}" in workflow and "--services-set resources.requests.cpu=250m" in workflow
    data, _ = evaluate(sandbox, "--load-values", smoke, "--services-set", "resources.requests.cpu=250m")
    docs = [d for m in data["Manifests"] for d in k8s_yaml(m)]
    (cron,) = [d for d in docs if d["kind"] == "CronJob"]
    steps = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["initContainers"]
    assert {c["name"].split("-")[0] for c in steps} == {"r1", "r2"}
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "250m"
    assert str(sandbox["repo"] / smoke) in data["ConfigFiles"]


def test_tilt_is_the_pinned_version() -> None:
    pinned = next(
        line.split(":=")[1].strip()
        for line in (ROOT / "tools" / "versions.mk").read_text().splitlines()
        if line.startswith("TILT_VERSION")
    )
    assert (ROOT / ".tools" / "bin" / f".tilt-{pinned}").exists()
    assert os.access(tilt(), os.X_OK)


def test_it_deploys_every_chart_and_a_pinned_kube_prometheus_stack(result: dict) -> None:
    found = manifests(result)
    rendered = {d["metadata"].get("labels", {}).get("helm.sh/chart", "").rsplit("-", 1)[0]
                for m in found.values() for d in k8s_yaml(m)}  # fmt: skip
    assert {p.parent.name for p in (ROOT / "charts").glob("*/Chart.yaml")} <= rendered
    apply = found["kube-prometheus-stack"]["DeployTarget"]["applyCmd"]["args"]
    version = apply[apply.index("--version") + 1]
    assert version[0].isdigit() and version.count(".") == 2
    values = yaml.safe_load((ROOT / apply[apply.index("--values") + 1]).read_text())
    assert values["prometheus"]["prometheusSpec"]["enableRemoteWriteReceiver"] is True


def test_it_forwards_the_ports_the_readme_documents(result: dict) -> None:
    forwards = {}
    for name, manifest in manifests(result).items():
        serve = (manifest["DeployTarget"].get("ServeCmd") or {}).get("Argv") or []
        if "port-forward" in serve:
            local, _ = serve[-1].split(":")
            forwards[name] = int(local)
            (link,) = manifest["DeployTarget"]["Links"]
            assert (link["URL"]["Scheme"], link["URL"]["Host"]) == ("http", f"localhost:{local}")
    assert forwards == {"grafana": 3000, "prometheus": 9090}
    readme = (ROOT / "charts" / "README.md").read_text()
    kind_ports = {m["hostPort"] for node in yaml.safe_load((ROOT / "kind-config.yaml").read_text())["nodes"]
                  for m in node.get("extraPortMappings", [])}  # fmt: skip
    for port in [*forwards.values(), *kind_ports]:
        assert f"localhost:{port}" in readme


def test_the_readme_names_every_resource_of_the_tilt_ui(result: dict) -> None:
    readme = (ROOT / "charts" / "README.md").read_text()
    for name in manifests(result):
        generic = name.replace("fastapi-uvicorn", "<service>").replace("flask-gunicorn-sync", "<service>")
        generic = generic.replace("django-gunicorn-sync", "<service>")
        assert f"`{generic}`" in readme, name


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        (["--load-set", "jobs.enabled=true", "--load-set", "schedule.enabled=false"], "Job"),
        (["--load-values", "charts/observatory-load/ci/testrun-values.yaml"], "TestRun"),
        (["--services-values", "charts/observatory-services/ci/all-profiles-values.yaml"], "HorizontalPodAutoscaler"),
    ],
    ids=["one-off-job", "testrun", "all-profiles"],
)
def test_every_mode_of_the_charts_loads_labelled_and_without_warnings(
    sandbox: dict, args: list[str], kind: str
) -> None:
    data, log = evaluate(sandbox, *args)
    found = {m["Name"]: m for m in data["Manifests"]}
    assert "uncategorized" not in found and all(m.get("Labels") for m in found.values())
    assert not [line for line in log.splitlines() if "WARNING" in line.upper()]
    for name, manifest in found.items():
        assert set(manifest.get("ResourceDependencies") or []) <= found.keys(), name
    holders = [name for name, m in found.items() if any(d["kind"] == kind for d in k8s_yaml(m))]
    assert holders, f"no resource holds the {kind}"
