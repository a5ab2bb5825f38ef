"""The Tiltfile, run by a real Starlark interpreter (starlark-go) with Tilt's functions recorded.

Tilt's builtins are stand-ins that record their arguments; `helm()` renders the chart for real, so a Tiltfile
pointing at a missing chart or values file fails here as it would under `tilt up`.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import starlark_go
import yaml

from tests.cluster.rendering import ROOT, helm

TILTFILE = ROOT / "Tiltfile"


class TiltRecorder:
    """Tilt's API as far as our Tiltfile uses it, each call recorded."""

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[tuple, dict]]] = {}
        self.rendered: list[dict] = []
        self.stand_ins: dict[str, object] = {}

    def record(self, name: str, result: object = None):
        def builtin(*args, **kwargs):
            self.calls.setdefault(name, []).append((args, kwargs))
            return result

        return builtin

    def helm(self, chart: str, name: str = "chart", values: list[str] | None = None, **_: object) -> str:
        self.calls.setdefault("helm", []).append(((chart,), {"name": name, "values": values}))
        args = [helm(), "template", name, str(ROOT / chart)]
        for path in values or []:
            assert (ROOT / path).is_file(), f"values file {path} does not exist"
            args += ["--values", str(ROOT / path)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        self.rendered += [doc for doc in yaml.safe_load_all(done.stdout) if doc]
        return done.stdout

    def globals(self) -> dict[str, object]:
        names = [
            "allow_k8s_contexts", "docker_build", "helm_repo", "helm_resource", "k8s_yaml", "k8s_resource",
            "local_resource", "link", "sync",
        ]  # fmt: skip
        stand_ins: dict[str, object] = {name: self.record(name) for name in names}
        stand_ins["link"] = lambda url, name="": {"url": url, "name": name}
        stand_ins["helm"] = self.helm
        stand_ins["TRIGGER_MODE_MANUAL"] = "manual"
        # starlark-go borrows the callables without holding a reference: keep them alive for the interpreter
        self.stand_ins = stand_ins
        return stand_ins

    def args(self, name: str) -> list[tuple[tuple, dict]]:
        return self.calls.get(name, [])


@pytest.fixture(scope="module")
def tilt() -> TiltRecorder:
    source = TILTFILE.read_text()
    loads = re.findall(r"^load\('ext://(\w+)',\s*(.*)\)$", source, flags=re.M)
    # starlark-go has no module loader; the ext:// extensions the file loads become recorded builtins
    assert loads == [("helm_resource", "'helm_resource', 'helm_repo'")]
    source = re.sub(r"^load\(.*\)$", "", source, flags=re.M)
    recorder = TiltRecorder()
    # Tilt's dialect allows top-level for/if, as starlark-go does with this flag (a process-wide setting)
    starlark_go.configure_starlark(allow_global_reassign=True)
    interpreter = starlark_go.Starlark(globals=recorder.globals())
    interpreter.exec(source, filename="Tiltfile")
    return recorder


def test_it_builds_an_image_for_every_service_dockerfile(tilt: TiltRecorder) -> None:
    built = {args[0]: kwargs for args, kwargs in tilt.args("docker_build")}
    dockerfiles = sorted((ROOT / "services").glob("*/Dockerfile"))
    assert set(built) == {f"observatory/{p.parent.name}" for p in dockerfiles}
    for path in dockerfiles:
        options = built[f"observatory/{path.parent.name}"]
        assert (ROOT / options["dockerfile"]).resolve() == path.resolve()
        assert "services/common" in options["only"]


def test_every_image_the_charts_deploy_is_built_or_pulled(tilt: TiltRecorder) -> None:
    built = {args[0] for args, _ in tilt.args("docker_build")}
    images = {
        container["image"]
        for doc in tilt.rendered
        if doc["kind"] == "Deployment"
        for container in doc["spec"]["template"]["spec"]["containers"]
    }
    local = {image.rsplit(":", 1)[0] for image in images if image.startswith("observatory/")}
    assert local and local <= built


def test_it_deploys_every_chart_and_kube_prometheus_stack_pinned(tilt: TiltRecorder) -> None:
    charts = {Path(args[0]).name for args, _ in tilt.args("helm")}
    assert charts == {p.parent.name for p in (ROOT / "charts").glob("*/Chart.yaml")}
    assert len(tilt.args("k8s_yaml")) == len(charts)
    ((name, chart), options) = tilt.args("helm_resource")[0]
    assert (name, chart) == ("kube-prometheus-stack", "prometheus-community/kube-prometheus-stack")
    flags = options["flags"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", flags[flags.index("--version") + 1])
    values = flags[flags.index("--values") + 1]
    assert yaml.safe_load((ROOT / values).read_text())["prometheus"]["prometheusSpec"]["enableRemoteWriteReceiver"]


def test_resources_it_names_exist_in_the_rendered_charts(tilt: TiltRecorder) -> None:
    workloads = {doc["metadata"]["name"] for doc in tilt.rendered if doc["kind"] in ("Deployment", "StatefulSet")}
    named = {args[0] for args, _ in tilt.args("k8s_resource")}
    assert named and named <= workloads
    (benchmark,) = [kw for args, kw in tilt.args("local_resource") if args[0] == "benchmark"]
    cronjobs = {doc["metadata"]["name"] for doc in tilt.rendered if doc["kind"] == "CronJob"}
    assert re.search(r"--from=cronjob/(\S+)", benchmark["cmd"]).group(1) in cronjobs
    assert benchmark["trigger_mode"] == "manual"


def test_it_forwards_the_ports_the_readme_documents(tilt: TiltRecorder) -> None:
    forwards = {}
    for args, kwargs in tilt.args("local_resource"):
        match = re.search(r"port-forward (\S+) (\d+):(\d+)", kwargs.get("serve_cmd", ""))
        if match:
            forwards[args[0]] = int(match.group(2))
            assert kwargs["links"][0]["url"] == f"http://localhost:{match.group(2)}"
    assert forwards == {"grafana": 3000, "prometheus": 9090}
    readme = (ROOT / "charts" / "README.md").read_text()
    for port in forwards.values():
        assert f"localhost:{port}" in readme
    kind_ports = {m["hostPort"] for node in yaml.safe_load((ROOT / "kind-config.yaml").read_text())["nodes"]
                  for m in node.get("extraPortMappings", [])}  # fmt: skip
    for port in kind_ports:
        assert f"localhost:{port}" in readme


def test_it_only_talks_to_the_kind_cluster(tilt: TiltRecorder) -> None:
    name = yaml.safe_load((ROOT / "kind-config.yaml").read_text())["name"]
    assert tilt.args("allow_k8s_contexts") == [((f"kind-{name}",), {})]
