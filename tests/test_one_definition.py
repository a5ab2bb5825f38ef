"""One definition per fact: where a fact must be written in two languages (Python and the k6 script), or where two
modules need it, the copies are checked against the one source here, so they cannot drift apart. Each default
(instrumentation, profiles, workloads, size, SLO) has one home that the CLI, the harness, the charts and the docs
are held to, and each number the docs state about a rule is found in the code that defines it."""

from __future__ import annotations

import ast
import inspect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from observatory import compare
from observatory.cli.main import parser
from observatory.cli.run import options_from
from observatory.judging import estimate, host
from observatory.judging.generator import STARVED_WAIT
from observatory.judging.slo import Slo
from observatory.judging.trial import SATURATED_K6_UTILISATION
from observatory.report import instruments
from observatory.report.scaling import STOP_GAIN
from observatory.run import calibration, prometheus
from observatory.run import run_sizes as sizes
from observatory.run.k6 import K6Settings
from observatory.run.plan import DEFAULT_PROFILES, RunOptions
from observatory.run.run_sizes import DEFAULT_SIZE, SIZES
from observatory.run.service import ServiceProcess
from observatory.workload_catalog import DEFAULT_WORKLOADS, WORKLOADS
from service_common import limits, settings, sqlite
from service_common.settings import DEFAULT_INSTRUMENTATION

ROOT = Path(__file__).resolve().parents[1]
CONFIG_JS = (ROOT / "loadtests" / "lib" / "config.js").read_text()
WORKLOADS_JS = (ROOT / "loadtests" / "lib" / "workload_requests.js").read_text()


def test_the_k6_scripts_know_exactly_the_harness_workloads() -> None:
    listed = re.search(r"export const WORKLOADS = \[([^\]]*)\]", CONFIG_JS)
    assert listed, "loadtests/lib/config.js lists its workloads in WORKLOADS"
    assert re.findall(r"'([\w-]+)'", listed.group(1)) == list(WORKLOADS)
    body = WORKLOADS_JS[WORKLOADS_JS.index("export const workloads = {") :]
    defined = re.findall(r"^  '?([\w-]+)'?: \(c\) =>", body, flags=re.MULTILINE)
    assert defined == list(WORKLOADS)


def test_the_k6_scripts_hit_each_workloads_route() -> None:
    for workload in WORKLOADS.values():
        route = workload.route
        assert f"'{route}'" in WORKLOADS_JS or f"`${{c.baseUrl}}{route}`" in WORKLOADS_JS, route


def test_seeded_users_are_the_services_count() -> None:
    (value,) = re.findall(r"const SEEDED_USERS = (\d+);", WORKLOADS_JS)
    assert int(value) == limits.SEEDED_USERS


def test_the_slo_defaults_are_the_same_everywhere() -> None:
    slo = Slo()
    settings = K6Settings("http://x", "json", "constant", "t", "r", "f", "p", 1.0)
    assert (settings.slo_p99_ms, settings.slo_error_rate) == (slo.p99_ms, slo.error_rate)
    assert f"number('SLO_P99_MS', {slo.p99_ms:g}," in CONFIG_JS
    assert f"number('SLO_ERROR_RATE', {slo.error_rate:g}," in CONFIG_JS


def test_the_calibration_and_the_trials_share_the_saturation_threshold() -> None:
    assert calibration.MAX_CPU is SATURATED_K6_UTILISATION


def test_sqlite_pragmas_are_written_once() -> None:
    services = ROOT / "services"
    written = [
        p
        for p in services.rglob("*.py")
        if "PRAGMA journal_mode" in p.read_text() or "journal_mode=WAL" in p.read_text()
    ]
    assert written == [services / "common" / "service_common" / "sqlite.py"]
    assert "journal_mode=WAL" in sqlite.init_command()


# --- one home for each default ---------------------------------------------------------------------------------------

CHARTS = ROOT / "charts"
SERVICES_VALUES = yaml.safe_load((CHARTS / "observatory-services" / "values.yaml").read_text())
LOAD_VALUES = yaml.safe_load((CHARTS / "observatory-load" / "values.yaml").read_text())


def default_run_options() -> RunOptions:
    """What `observatory run` with no option would do (the parser and options_from, as the CLI calls them)."""
    return options_from(parser().parse_args(["run"]))


def test_the_instrumentation_default_has_one_home(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_run_options().instrumentation == DEFAULT_INSTRUMENTATION
    assert RunOptions.__dataclass_fields__["instrumentation"].default == DEFAULT_INSTRUMENTATION
    assert inspect.signature(ServiceProcess).parameters["instrumentation"].default == DEFAULT_INSTRUMENTATION
    monkeypatch.delenv("OBSERVATORY_INSTRUMENTATION", raising=False)
    settings.get_settings.cache_clear()
    try:
        assert settings.get_settings().instrumentation == DEFAULT_INSTRUMENTATION
    finally:
        settings.get_settings.cache_clear()
    assert SERVICES_VALUES["instrumentation"]["mode"] == DEFAULT_INSTRUMENTATION
    assert f"| `OBSERVATORY_INSTRUMENTATION` | `{DEFAULT_INSTRUMENTATION}` |" in text_of("services/README.md")
    assert f"| instrumentation | {DEFAULT_INSTRUMENTATION} |" in text_of("docs/running.md")


def test_no_module_writes_its_own_instrumentation_fallback() -> None:
    """Seeded fault: a literal fallback such as os.environ.get("OBSERVATORY_INSTRUMENTATION", "full") is found."""
    fallback = re.compile(r"""OBSERVATORY_INSTRUMENTATION["']\s*,\s*["']""")
    assert fallback.search('os.environ.get("OBSERVATORY_INSTRUMENTATION", "full")')
    sources = [*(ROOT / "observatory").rglob("*.py"), *(ROOT / "services").rglob("*.py")]
    assert [p for p in sources if fallback.search(p.read_text())] == []


def test_the_default_profiles_workloads_and_size_are_the_runs() -> None:
    options = default_run_options()
    assert {p.framework: p.name for p in options.profiles} == DEFAULT_PROFILES
    assert tuple(w.name for w in options.workloads) == DEFAULT_WORKLOADS
    assert options.size is SIZES[DEFAULT_SIZE]
    assert options.slo == Slo()


def test_the_charts_benchmark_the_default_profiles_at_the_slo() -> None:
    deployed = {(s["framework"], s["profile"]) for s in SERVICES_VALUES["services"].values() if s["enabled"]}
    assert set(DEFAULT_PROFILES.items()) <= deployed
    benchmarked = {(b["framework"], b["profile"]) for b in LOAD_VALUES["benchmarks"]}
    assert benchmarked == set(DEFAULT_PROFILES.items())
    assert (LOAD_VALUES["slo"]["p99Ms"], LOAD_VALUES["slo"]["errorRate"]) == (Slo().p99_ms, Slo().error_rate)


def test_the_docs_state_the_defaults_the_code_defines() -> None:
    table = dict(re.findall(r"^\| ([A-Za-z ]+) \| (.+?) \| `", text_of("docs/running.md"), flags=re.M))
    assert table["frameworks and profiles"] == ", ".join(f"{f}/{p}" for f, p in DEFAULT_PROFILES.items())
    assert table["workloads"] == ", ".join(DEFAULT_WORKLOADS)
    assert table["size"] == DEFAULT_SIZE
    assert table["SLO"] == f"client p99 ≤ {Slo().p99_ms:g} ms, errors ≤ {Slo().error_rate:.0%}".replace("%", " %")
    readme = " ".join(text_of("README.md").split())
    profiles = [f"{f}/{p}" for f, p in DEFAULT_PROFILES.items()]
    assert f"The default run measures {', '.join(profiles[:-1])} and {profiles[-1]}, one worker each" in readme
    workloads = [f"`{w}`" for w in DEFAULT_WORKLOADS]
    assert f"on the {', '.join(workloads[:-1])} and {workloads[-1]} workloads" in readme


# --- every number the docs state about a rule, in the code that defines it -------------------------------------------

WORDS = {"half": 0.5, "half a second": 0.5, "a tenth": 0.1, "a fifth": 0.2, "a quarter": 0.25}


def text_of(doc: str) -> str:
    return (ROOT / doc).read_text()


def _number(written: str) -> float:
    return WORDS[written] if written in WORDS else float(written.replace(",", ""))


@dataclass(frozen=True)
class Claim:
    """A number a doc states about a rule: the doc, a pattern whose one group is the number as written (spaces and
    line breaks count as one space), and the code's value in the doc's unit."""

    doc: str
    pattern: str
    value: Callable[[], float]


def _trace_ratio() -> float:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("OTEL_TRACES_SAMPLER_ARG", raising=False)
        settings.get_settings.cache_clear()
        ratio = settings.get_settings().trace_sample_ratio
    settings.get_settings.cache_clear()
    return ratio


CLAIMS = [
    Claim("README.md", r"client p99 ≤ (\d+) ms", lambda: Slo().p99_ms),
    Claim("README.md", r"errors ≤ (\d+) %, nothing dropped", lambda: Slo().error_rate * 100),
    Claim("README.md", r"with its \*\*(\d+) % interval\*\*", lambda: estimate.CONFIDENCE * 100),
    Claim("README.md", r"whole interval lies more than (\d+) % below", lambda: compare.FLOOR * 100),
    Claim("docs/running.md", r"the default:\s+(\d+) rounds", lambda: SIZES["quick"].rounds),
    Claim("docs/running.md", r"the default:\s+\d+ rounds of (\d+) trials", lambda: SIZES["quick"].per_round),
    Claim("docs/running.md", r"scrapes each service every (\d+) s", lambda: prometheus.SCRAPE_INTERVAL_SECONDS),
    Claim("docs/running.md", r"warmed up at its rate for (half a second)", lambda: sizes.TRIAL_WARMUP_S),
    Claim("docs/running.md", r"windows of at least ([\d,]+) requests", lambda: sizes.MIN_P99_SAMPLES),
    Claim("docs/running.md", r"sweep of 1-(\d+) VUs", lambda: max(SIZES["standard"].sweep_vus)),
    Claim("docs/running.md", r"adds less than (\d+) % of what one alone serves", lambda: STOP_GAIN * 100),
    Claim("docs/instrumentation.md", r"`OTEL_TRACES_SAMPLER_ARG`, ([\d.]+) by default", _trace_ratio),
    Claim("loadtests/README.md", r"within (\d+) % of the SLO's p99", lambda: calibration.SHARE_OF_SLO * 100),
    Claim("loadtests/README.md", r"less than (\d+) % of its core", lambda: calibration.MAX_CPU * 100),
    Claim("loadtests/README.md", r"for a CPU (half) the time or more \(`STARVED_WAIT`", lambda: STARVED_WAIT),
    Claim("loadtests/README.md", r"Waiting (half) the time or more \(the same `STARVED_WAIT`\)", lambda: STARVED_WAIT),
    Claim(
        "loadtests/README.md",
        r"waited for a CPU (a quarter) of the time or more at the rate that ended",
        lambda: calibration.ENDING_WAIT,
    ),
    Claim(
        "loadtests/README.md", r"a stall of (half) the SLO's p99 or more is left out", lambda: host.STALL_SHARE_OF_SLO
    ),
    Claim("loadtests/README.md", r"a host ([\d.]+) times faster or more", lambda: instruments.SPEED_BOUND),
    Claim("loadtests/README.md", r"req/s \((\d\.\d) s warm-up, [\d.]+ s measured each", lambda: calibration.WARMUP_S),
    Claim("loadtests/README.md", r"warm-up, (\d\.\d) s measured each", lambda: calibration.MEASURE_S),
    Claim("services/README.md", r"\| `REQUEST_READ_TIMEOUT` \| (\d+) \|", lambda: limits.REQUEST_READ_SECONDS),
]


def mismatch(claim: Claim, code_value: float, text: str | None = None) -> str | None:
    """Why the doc and the code disagree about the claim, or None when they agree."""
    flat = " ".join((text if text is not None else text_of(claim.doc)).split())
    found = re.search(claim.pattern, flat)
    if found is None:
        return f"{claim.doc}: no text matches {claim.pattern!r}"
    written = _number(found.group(1))
    if not math.isclose(written, code_value, rel_tol=1e-9):
        return f"{claim.doc}: says {found.group(1)!r} ({written:g}), the code defines {code_value:g}"
    return None


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"{c.doc}:{c.pattern[:40]}")
def test_the_doc_states_the_codes_number(claim: Claim) -> None:
    assert mismatch(claim, claim.value()) is None


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: f"{c.doc}:{c.pattern[:40]}")
def test_seeded_fault_a_moved_threshold_or_an_edited_doc_is_caught(claim: Claim) -> None:
    value = claim.value()
    assert mismatch(claim, value * 2 + 1) is not None  # the code's value moved
    flat = " ".join(text_of(claim.doc).split())
    found = re.search(claim.pattern, flat)
    assert found is not None
    edited = flat[: found.start(1)] + "7777" + flat[found.end(1) :]
    if found.group(1) in WORDS:  # a number written in words: another word is another number
        edited = flat[: found.start(1)] + "a fifth" + flat[found.end(1) :] if value != 0.2 else edited
    assert mismatch(claim, value, edited) is not None  # the doc's number changed


def test_the_calibration_ladder_the_docs_list_is_the_codes() -> None:
    flat = " ".join(text_of("loadtests/README.md").split())
    found = re.search(r"The ladder climbs ([\d, and]+) req/s", flat)
    assert found, "loadtests/README.md lists the calibration ladder"
    assert [float(n.replace(",", "")) for n in re.findall(r"[\d,]*\d", found.group(1))] == list(calibration.RATES)


# --- measurements have one home: docs/measurements.md ----------------------------------------------------------------

# What a host did one afternoon, as READMEs and docstrings must not say it: a date, a duration in minutes and seconds,
# the spacing of a host's speeds, "this host", "on an earlier day", "measured here".
DATED = re.compile(
    r"\b20\d\d-\d\d-\d\d\b|\d+ min \d+ s\b|× apart|\bthis (?:host|machine's host)\b"
    r"|\bon (?:an earlier|the switching) day\b|\b(?:measured|took|seen) here\b"
)
MARKDOWN = [p for p in ROOT.rglob("*.md") if not {".venv", ".tools", ".git"} & set(p.parts)]


def dated_docstrings() -> list[str]:
    """Docstrings of the harness, the services and the tools that state a dated figure."""
    found = []
    for folder in ("observatory", "services", "tools"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    doc = ast.get_docstring(node) or ""
                    found += [f"{path.relative_to(ROOT)}: {m.group(0)!r}" for m in DATED.finditer(doc)]
    return found


def test_dated_figures_live_only_in_docs_measurements() -> None:
    """Seeded fault: the sentences this rule moved out of the README are caught."""
    for moved in ("On a 2-core AMD EPYC it took 5 min 33 s (88 trials)", "this host switches between two speeds",
                  "two speeds 1.6-1.8× apart", "on 2026-12-03", "on an earlier day"):  # fmt: skip
        assert DATED.search(moved), moved
    readmes = [p for p in MARKDOWN if p.name == "README.md"]
    assert [f"{p.relative_to(ROOT)}: {m.group(0)!r}" for p in readmes for m in DATED.finditer(p.read_text())] == []
    assert dated_docstrings() == []


def test_every_doc_that_states_the_instrumentation_default_states_the_codes() -> None:
    """Any Markdown page, whoever wrote it (the services' table, the run's docs, the servers' page)."""
    said = re.compile(
        r"`OBSERVATORY_INSTRUMENTATION` \| `(\w+)` \||`OBSERVATORY_INSTRUMENTATION` \(`(\w+)` default"
        r"|\((\w+) only is the default\)|\*\*(\w+)\*\*\. `--instrumentation"
    )
    assert said.search("`OBSERVATORY_INSTRUMENTATION` (`full` default, `metrics`, `off`)")  # the old README's words
    statements = {
        (p.relative_to(ROOT).as_posix(), next(g for g in m.groups() if g))
        for p in MARKDOWN
        for m in said.finditer(" ".join(p.read_text().split()))
    }
    assert {doc for doc, _ in statements} >= {"services/README.md", "docs/running.md", "docs/instrumentation.md"}
    assert {mode for _, mode in statements} == {DEFAULT_INSTRUMENTATION}, statements


def test_every_doc_that_states_the_starved_generator_bound_states_the_codes() -> None:
    # the ladder's ending-rate bound (ENDING_WAIT, a Claim above) is another rule: its statement is left to it
    said = re.compile(r"waited for a CPU (half|a fifth|a third|a quarter) (?:of )?the time(?! or more at the rate)|waits? for a CPU"
                      r" (half|a fifth|a third|a quarter) (?:of )?the time|Waiting (half|a fifth) (?:of )?the time")  # fmt: skip
    words = {"half": 0.5, "a fifth": 0.2, "a third": 1 / 3, "a quarter": 0.25}
    statements = {
        (p.relative_to(ROOT).as_posix(), next(g for g in m.groups() if g))
        for p in MARKDOWN
        for m in said.finditer(" ".join(p.read_text().split()))
    }
    assert statements, "loadtests/README.md states the bound"
    assert {words[w] for _, w in statements} == {STARVED_WAIT}, statements
