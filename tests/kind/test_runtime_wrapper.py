"""The runtime wrapper: it removes exactly the capabilities its own bounding set lacks, from the files runc reads,
and hands runc its arguments unchanged (a fake runc records what it was given)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from observatory.kind import runtime_wrapper
from observatory.kind.runtime_wrapper import drop_missing, files_to_filter, held_capabilities

WRAPPER = Path(runtime_wrapper.__file__)
# This project's VMs: every capability up to CAP_CHECKPOINT_RESTORE (40) but CAP_SYS_RESOURCE (24).
VM_BOUNDING_SET = "000001fffeffffff"
EVERYTHING = "000001ffffffffff"
PRIVILEGED = list(runtime_wrapper.CAPS[:38])  # what docker 20.10 asks for with --privileged


def process(caps: list[str]) -> dict:
    return {"args": ["sh"], "capabilities": {key: list(caps) for key in runtime_wrapper.CAP_SETS}}


def test_the_vms_bounding_set_lacks_only_cap_sys_resource() -> None:
    held = held_capabilities(f"Name:\tx\nCapBnd:\t{VM_BOUNDING_SET}\n")
    assert set(runtime_wrapper.CAPS) - held == {"CAP_SYS_RESOURCE"}


def test_a_capability_the_host_lacks_is_removed_from_every_set_and_nothing_else() -> None:
    proc = process(PRIVILEGED)
    removed = drop_missing(proc, held_capabilities(f"CapBnd: {VM_BOUNDING_SET}"))
    assert removed == {"CAP_SYS_RESOURCE"}
    for key in runtime_wrapper.CAP_SETS:
        assert proc["capabilities"][key] == [c for c in PRIVILEGED if c != "CAP_SYS_RESOURCE"]


def test_nothing_is_removed_when_the_host_holds_everything() -> None:
    proc = process(PRIVILEGED)
    assert drop_missing(proc, held_capabilities(f"CapBnd: {EVERYTHING}")) == set()
    assert proc == process(PRIVILEGED)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["--root", "/run/r", "--log", "/l.json", "create", "--bundle", "/b", "--pid-file", "/p", "id"],
            ("/b/config.json", False),
        ),
        (["--log=/l.json", "create", "--bundle=/b", "id"], ("/b/config.json", False)),
        (["run", "-b", "/b", "id"], ("/b/config.json", False)),
        (["--root", "/run/r", "exec", "--process", "/tmp/p.json", "--detach", "id"], ("/tmp/p.json", True)),
        (["exec", "-p", "/tmp/p.json", "id"], ("/tmp/p.json", True)),
    ],
)
def test_the_files_runc_reads_capabilities_from(argv: list[str], expected: tuple[str, bool]) -> None:
    assert files_to_filter(argv) == [(Path(expected[0]), expected[1])]


def test_commands_without_capabilities_are_left_alone() -> None:
    # "create" here is the value of --root, not the subcommand
    assert files_to_filter(["--root", "create", "state", "id"]) == []
    assert files_to_filter(["delete", "--force", "id"]) == []


def run_wrapper(tmp_path: Path, argv: list[str], bounding_set: str) -> list[str]:
    """Run the wrapper as dockerd's shim does, with a fake runc that records its arguments."""
    record = tmp_path / "runc-args.json"
    fake = tmp_path / "runc"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\njson.dump(sys.argv[1:], open({str(record)!r}, 'w'))\n")
    fake.chmod(0o755)
    env = {**os.environ, "OBSERVATORY_RUNC": str(fake), "RUNTIME_WRAPPER_CAPBND": bounding_set}
    subprocess.run([sys.executable, str(WRAPPER), *argv], env=env, check=True, timeout=60)
    return json.loads(record.read_text())


def test_create_rewrites_the_bundle_and_execs_runc_with_the_same_arguments(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    config = bundle / "config.json"
    config.write_text(json.dumps({"ociVersion": "1.0.2", "process": process(PRIVILEGED), "root": {"path": "rootfs"}}))
    config.chmod(0o640)
    argv = ["--root", "/run/r", "--log", str(tmp_path / "log.json"), "create", "--bundle", str(bundle), "ctr-1"]
    assert run_wrapper(tmp_path, argv, VM_BOUNDING_SET) == argv
    written = json.loads(config.read_text())
    assert "CAP_SYS_RESOURCE" not in written["process"]["capabilities"]["bounding"]
    assert "CAP_SYS_ADMIN" in written["process"]["capabilities"]["effective"]
    assert written["root"] == {"path": "rootfs"}
    assert stat.S_IMODE(config.stat().st_mode) == 0o640


def test_exec_rewrites_the_process_file(tmp_path: Path) -> None:
    process_file = tmp_path / "process.json"
    process_file.write_text(json.dumps(process(PRIVILEGED)))
    run_wrapper(tmp_path, ["exec", "--process", str(process_file), "--detach", "ctr-1"], VM_BOUNDING_SET)
    assert "CAP_SYS_RESOURCE" not in json.loads(process_file.read_text())["capabilities"]["permitted"]


def test_a_bundle_the_host_can_serve_is_not_rewritten(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    text = json.dumps({"process": process(PRIVILEGED)}, indent=3)
    (bundle / "config.json").write_text(text)
    run_wrapper(tmp_path, ["create", "--bundle", str(bundle), "ctr-1"], EVERYTHING)
    assert (bundle / "config.json").read_text() == text
