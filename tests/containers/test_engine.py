"""`make images` builds with the engine that is there (tools/images/engine.sh): docker when a Docker engine answers,
podman otherwise, or the one ENGINE_FORCE names; a forced docker that does not answer is a one-line error."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def engine(tmp_path: Path, docker_answers: bool, force: str = "") -> subprocess.CompletedProcess[str]:
    """Which engine engine.sh picks with a docker CLI whose `info` succeeds or fails."""
    fake = tmp_path / "docker"
    fake.write_text(f"#!/bin/sh\nexit {0 if docker_answers else 1}\n")
    fake.chmod(0o755)
    env = {**os.environ, "DOCKER": str(fake), "ENGINE_FORCE": force, "DOCKER_HOST": "unix:///nonexistent.sock"}
    env.pop("ENGINE", None)
    script = f'cd {tmp_path} && source {ROOT}/tools/images/engine.sh && echo "$ENGINE $ENGINE_CLI"'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)


def test_docker_when_it_answers_podman_otherwise(tmp_path: Path) -> None:
    assert engine(tmp_path, docker_answers=True).stdout.split() == ["docker", str(tmp_path / "docker")]
    assert engine(tmp_path, docker_answers=False).stdout.split() == ["podman", "podman"]
    assert engine(tmp_path, docker_answers=True, force="podman").stdout.split() == ["podman", "podman"]


def test_a_forced_docker_that_does_not_answer_is_a_one_line_error(tmp_path: Path) -> None:
    done = engine(tmp_path, docker_answers=False, force="docker")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"images: no Docker engine answers ({tmp_path / 'docker'} info failed; DOCKER_HOST=unix:///nonexistent.sock)"
    ]
