#!/usr/bin/env python3
"""The dependency locks: one for the harness (requirements.lock), its subset for a local run (requirements-run.lock),
and one per service image.

    tools/lock.py compile   # regenerate every lock with uv (`make lock`)
    tools/lock.py check     # exit 1 naming each lock that no longer matches its inputs

Each lock starts with `# inputs-sha256: <digest>` over its input files, so a changed input makes a stale lock
visible without the network; `check` also verifies that every pin of the inputs is in the lock, with hashes.
The harness lock is compiled first; each service lock is compiled with it as constraints, so an image runs the
same versions that local mode measures. The run lock is not compiled: it is the harness lock's entries that a run
needs (reached from a requirements file other than requirements-dev.txt, by uv's `# via` annotations, plus the
editable install's build backend), copied with their hashes, so `make quickstart` installs no test tool and the
same versions as `make setup`.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("fastapi", "flask", "django", "baseline")
HARNESS_LOCK = "requirements.lock"
RUN_LOCK = "requirements-run.lock"
DEV_INPUT = "requirements-dev.txt"
BUILD_BACKEND = ("setuptools",)  # pip install --no-build-isolation -e . builds the project with it
UV = os.environ.get("UV", str(ROOT / ".tools" / "uv" / "bin" / "uv"))


def locks(root: Path = ROOT) -> dict[str, list[str]]:
    """Each lock (relative path) and its inputs, in compile order: the harness lock first."""
    table = {
        HARNESS_LOCK: [
            "requirements.txt",
            "requirements-dev.txt",
            "services/common/requirements.txt",
            *(f"services/{name}/requirements.txt" for name in SERVICES),
        ]
    }
    table[RUN_LOCK] = [HARNESS_LOCK]
    for name in SERVICES:
        table[f"services/{name}/requirements.lock"] = [
            "services/common/requirements.txt",
            f"services/{name}/requirements.txt",
            HARNESS_LOCK,  # constraints
        ]
    return table


def inputs_digest(root: Path, inputs: list[str]) -> str:
    """sha256 over the inputs' paths and contents."""
    digest = hashlib.sha256()
    for rel in inputs:
        digest.update(rel.encode() + b"\0" + (root / rel).read_bytes() + b"\0")
    return digest.hexdigest()


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """name -> version of every `name[extras]==version` line (comments, hashes and options skipped)."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)", line.strip())
        if match:
            found[normalize(match.group(1))] = match.group(3)
    return found


def problems(root: Path, lock: str, inputs: list[str]) -> list[str]:
    """Why `lock` does not match its inputs (empty when it does)."""
    path = root / lock
    if not path.exists():
        return [f"{lock} is missing: run make lock"]
    text = path.read_text(encoding="utf-8")
    found = []
    recorded = re.search(r"^# inputs-sha256: ([0-9a-f]{64})", text, flags=re.M)
    if not recorded or recorded.group(1) != inputs_digest(root, inputs):
        found.append(f"{lock} is stale: {', '.join(inputs)} changed since it was compiled; run make lock")
    locked = pins(text)
    for rel in inputs:
        if rel.endswith(".lock"):
            continue
        for name, version in pins((root / rel).read_text(encoding="utf-8")).items():
            if locked.get(name) != version:
                found.append(f"{lock} pins {name}=={locked.get(name)} but {rel} asks for {version}")
    entries = re.findall(r"^[A-Za-z0-9][^\n]*?==[^\n]*(?:\n +[^\n]*)*", text, flags=re.M)
    unhashed = [entry.split("==")[0] for entry in entries if "--hash=sha256:" not in entry]
    if unhashed:
        found.append(f"{lock} has entries without hashes: {', '.join(unhashed)}")
    if lock == RUN_LOCK and (root / HARNESS_LOCK).exists():
        subset = run_subset((root / HARNESS_LOCK).read_text(encoding="utf-8"))
        if text.split("\n", 3)[3] != subset:
            found.append(f"{lock} is not the run's subset of {HARNESS_LOCK}: run make lock")
    return found


def _entries(text: str) -> list[tuple[str, str]]:
    """(name, the whole entry: pin, hashes, `# via` lines) of every package in a compiled lock, in order; a package
    pinned twice under environment markers (a universal lock) has two entries."""
    found = []
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9][^=\s\[;]*)", block)
        if match and "==" in block.split("\n", 1)[0]:
            found.append((normalize(match.group(1)), block.rstrip("\n")))
    return found


def _parents(entry: str) -> list[str]:
    """What an entry is there for, from its `# via` lines: `-r file` or package names."""
    found: list[str] = []
    lines = [line.strip() for line in entry.splitlines() if line.strip().startswith("#")]
    for line in lines:
        text = line.lstrip("#").strip()
        text = text[3:].strip() if text.startswith("via") else text
        found += [part.strip() for part in text.split(",") if part.strip()]
    return found


def run_subset(harness_text: str) -> str:
    """The harness lock's entries a local run needs, in the lock's order (see the module's docstring)."""
    entries = _entries(harness_text)
    needed = {normalize(n) for n in BUILD_BACKEND}
    changed = True
    while changed:
        changed = False
        for name, entry in entries:
            if name in needed:
                continue
            for parent in _parents(entry):
                if (parent.startswith("-r ") and parent[3:].strip() != DEV_INPUT) or normalize(parent) in needed:
                    needed.add(name)
                    changed = True
                    break
    return "\n".join(entry for name, entry in entries if name in needed) + "\n"


def compile_run_lock(root: Path) -> None:
    """Write requirements-run.lock from requirements.lock."""
    header = (
        f"# inputs-sha256: {inputs_digest(root, [HARNESS_LOCK])}\n"
        f"# Generated by `make lock` (tools/lock.py): the entries of {HARNESS_LOCK} that a local run needs.\n"
        "# Install with pip install --require-hashes -r; do not edit by hand.\n"
    )
    (root / RUN_LOCK).write_text(header + run_subset((root / HARNESS_LOCK).read_text(encoding="utf-8")))


def compile_lock(root: Path, lock: str, inputs: list[str]) -> None:
    """Compile one lock with uv (hashes for every file of every pinned version, Python 3.11, any platform)."""
    command = [UV, "pip", "compile", "--quiet", "--generate-hashes", "--universal", "--python-version", "3.11"]
    command += ["--custom-compile-command", "make lock", "--no-header", "--annotation-style", "line"]
    for rel in inputs:
        command += ["--constraint", rel] if rel.endswith(".lock") else [rel]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"lock: uv could not compile {lock}: {done.stderr.strip().splitlines()[-1:]}")
    header = (
        f"# inputs-sha256: {inputs_digest(root, inputs)}\n"
        f"# Generated by `make lock` (tools/lock.py, uv pip compile --generate-hashes) from: {', '.join(inputs)}\n"
        "# Install with pip install --require-hashes -r; do not edit by hand.\n"
    )
    with tempfile.NamedTemporaryFile("w", dir=(root / lock).parent, delete=False, encoding="utf-8") as out:
        out.write(header + done.stdout)
    Path(out.name).replace(root / lock)


def main(argv: list[str]) -> int:
    if argv[:1] == ["compile"]:
        if not Path(UV).exists():
            print(f"lock: uv is missing at {UV}: run make lock (it installs uv into .tools/uv)", file=sys.stderr)
            return 1
        for lock, inputs in locks().items():
            print(f"lock: {lock} <- {', '.join(inputs)}", flush=True)
            if lock == RUN_LOCK:
                compile_run_lock(ROOT)
            else:
                compile_lock(ROOT, lock, inputs)
        return 0
    if argv[:1] == ["check"]:
        found = [problem for lock, inputs in locks().items() for problem in problems(ROOT, lock, inputs)]
        for problem in found:
            print(f"lock: {problem}", file=sys.stderr)
        return 1 if found else 0
    print(__doc__.strip(), file=sys.stderr)
    return 0 if argv[:1] in (["--help"], ["-h"]) else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
