"""The workloads the harness can drive, each tied to one route of the contract (loadtests/lib/workload_requests.js mirrors it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    """A named load: the route it hits and whether it needs the database."""

    name: str
    method: str
    route: str
    needs_database: bool
    description: str


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("json", "GET", "/json", False, "serialisation of a new object per request"),
        Workload("plaintext", "GET", "/plaintext", False, "raw overhead"),
        Workload("db", "GET", "/db", True, "one random row"),
        Workload("queries", "GET", "/queries", True, "20 random rows, one SELECT each"),
        Workload("updates", "GET", "/updates", True, "20 rows read and written"),
        Workload("fortunes", "GET", "/fortunes", True, "server-side HTML from all rows"),
        Workload("users-get", "GET", "/api/users/{user_id}", True, "the article's example, GET by id"),
        Workload("users-post", "POST", "/api/users", True, "the article's example, validated create"),
        Workload("io", "GET", "/io", False, "waits 10 ms for a simulated downstream call"),
        Workload("cpu", "GET", "/cpu", False, "pure-Python work, n=10000 (about a millisecond)"),
    )
}
# What `observatory run` measures unless --workloads says otherwise: serialisation, the database, waiting on a
# downstream call and pure-Python work, one of each kind of load.
DEFAULT_WORKLOADS = ("json", "db", "io", "cpu")


def parse_workloads(raw: str) -> list[Workload]:
    """`json,db` -> the workloads, or a ValueError naming the unknown ones."""
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise ValueError(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    if not names:
        raise ValueError("no workload given")
    return [WORKLOADS[n] for n in names]
