"""The images the charts use: every container and init container image of every workload, rendered with the
defaults and with every ci/ values file. Prints one image per line, normalised as Kubernetes pulls it
(docker.io/library/postgres:16.4-bookworm). Used by `make images`; needs helm (.tools/bin) and PyYAML."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHARTS = ("observatory-services", "observatory-load")


def helm() -> str:
    path = ROOT / ".tools" / "bin" / "helm"
    return str(path) if path.exists() else "helm"


def render(chart: str, values: Path | None = None) -> list[dict]:
    command = [helm(), "template", chart, str(ROOT / "charts" / chart)]
    if values is not None:
        command += ["-f", str(values)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "HELM_NAMESPACE": "default"})
    if done.returncode != 0:
        raise SystemExit(f"images: helm template {chart} failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def normalise(image: str) -> str:
    """docker.io/library/ prefix as the container runtimes add it; tag latest when none."""
    name, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "latest")
    first = name.split("/")[0]
    if "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}"
    return f"{name}:{tag}"


def pod_specs(doc: dict) -> list[dict]:
    spec = doc.get("spec") or {}
    if doc.get("kind") == "CronJob":
        return [spec["jobTemplate"]["spec"]["template"]["spec"]]
    if "template" in spec:
        return [spec["template"]["spec"]]
    return []


def images() -> list[str]:
    found: set[str] = set()
    for chart in CHARTS:
        for values in [None, *sorted((ROOT / "charts" / chart / "ci").glob("*.yaml"))]:
            for doc in render(chart, values):
                for spec in pod_specs(doc):
                    for container in spec.get("initContainers", []) + spec.get("containers", []):
                        found.add(normalise(container["image"]))
                if doc.get("kind") == "TestRun":  # k6-operator: its runner image
                    image = ((doc.get("spec") or {}).get("runner") or {}).get("image")
                    if image:
                        found.add(normalise(image))
    return sorted(found)


if __name__ == "__main__":
    print("\n".join(images()))
    sys.exit(0)
