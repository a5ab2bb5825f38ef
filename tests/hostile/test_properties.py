"""Property-based hostile inputs (hypothesis): bodies and parameters sent to every profile at once.

Every example goes to every profile that serves the route; each must answer what the contract's rule says
(tests/hostile/oracle.py), never a 5xx, and a write must be stored exactly when it is answered 201.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from observatory.run.service import ServiceProcess
from service_common import errors
from service_common.workload_rules import cpu_work
from tests.hostile import oracle
from tests.hostile.conftest import BOUND_SECONDS, Tally

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)

EDGE_CHARACTERS = (
    "\x00\x01\x1f\x7f\x85\xa0\u2028\u2029\u200b\u200d\u202e\ufeff\ufffd\U0001f600\u0301\u0661\uff10 \t\n\r@.\"\\/<>&'"
)
text = st.text(alphabet=st.sampled_from(EDGE_CHARACTERS) | st.characters(exclude_categories=["Cs"]), max_size=120)
emails = st.builds(lambda local, domain, tld: f"{local}@{domain}.{tld}", text, text, text) | text
json_values: st.SearchStrategy[object] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8,
)


def nested(depth: int, leaf: str) -> str:
    return "[" * depth + leaf + "]" * depth


raw_bodies = st.one_of(
    st.builds(lambda n, e: json.dumps({"name": n, "email": e}).encode(), text, emails),
    st.builds(lambda n, e: json.dumps({"name": n, "email": e}, ensure_ascii=False).encode(), text, emails),
    st.builds(lambda n, e: json.dumps({"name": n, "email": e}).encode(), json_values, json_values),
    st.builds(
        lambda d: json.dumps({"name": "Deep", "email": "d@e.co", "x": json.loads(nested(d, "1"))}).encode(),
        st.integers(1, 60),
    ),
    st.builds(lambda d: nested(d, '{"name":"a","email":"a@b.co"}').encode(), st.integers(1, 2000)),
    st.builds(lambda k: ('{"name": ' + "9" * k + ', "email": "n@e.co"}').encode(), st.integers(1, 6000)),
    st.sampled_from(
        [
            b'{"name": "Dup", "name": "Dup", "email": "dup@example.com"}',
            b'{"name": "Dup", "email": "dup@example.com", "email": "dup2@example.com"}',
            b'{"name": NaN, "email": "nan@example.com"}',
            b'{"name": "Inf", "email": "inf@example.com", "x": Infinity}',
            b'{"name": 1e999999, "email": "big@example.com"}',
            b'{"name": "Ada\\n", "email": "ada@example.com"}',
            b'{"name": "Ada", "email": "ada@example.com\\n"}',
            b'{"name": "\\ud83d\\ude00 pair", "email": "pair@example.com"}',
            b'{"name": "\\udc00 lone", "email": "lone@example.com"}',
            b'\xef\xbb\xbf{"name": "BOM", "email": "bom@example.com"}',
            b'{"name": "Ada", "email": "ada@example.com"} trailing',
            b'  {"name": "Spaces", "email": "spaces@example.com"}  ',
            b'{"name": "' + "é".encode("latin-1") + b'", "email": "latin@example.com"}',
        ]
    ),
    st.binary(max_size=64),
)


def everywhere(
    services: dict[str, ServiceProcess], call: Callable[[ServiceProcess], httpx.Response]
) -> dict[str, httpx.Response]:
    with ThreadPoolExecutor(len(services)) as pool:
        futures = {key: pool.submit(call, service) for key, service in services.items()}
        return {key: future.result() for key, future in futures.items()}


def record(tally: Tally, responses: dict[str, httpx.Response], what: str) -> None:
    for key, response in responses.items():
        tally.saw(key, response.status_code, what)


@pytest.fixture(scope="module")
def databases(framework_fleet: dict[str, ServiceProcess]) -> Iterator[dict[str, psycopg.Connection]]:
    """An open connection to each profile's database, to count rows around every write."""
    urls = {key: (service.env or {})["DATABASE_URL"] for key, service in framework_fleet.items()}
    connections = {key: psycopg.connect(url, autocommit=True) for key, url in urls.items()}
    yield connections
    for connection in connections.values():
        connection.close()


def user_rows(connection: psycopg.Connection) -> int:
    row = connection.execute("SELECT count(*) FROM users").fetchone()
    assert row is not None
    return int(row[0])


def test_user_bodies(
    framework_fleet: dict[str, ServiceProcess], databases: dict[str, psycopg.Connection], tally: Tally
) -> None:
    """Every body gets the contract's status everywhere; 201 bodies read back as sent, others store nothing."""

    @EXAMPLES
    @given(body=raw_bodies)
    @example(body=b'{"name": "Ada\\n", "email": "ada@example.com"}')
    @example(body=b'{"name": "Dup", "name": "Dup", "email": "dup@example.com"}')
    @example(body=b'{"name": NaN, "email": "nan@example.com"}')
    @example(body=nested(33, "1").encode())
    @example(body=b'{"name": ' + b"9" * 5000 + b', "email": "n@e.co"}')
    @example(body=json.dumps({"name": "Zo\u00eb \u2028", "email": "z@e.co"}, ensure_ascii=False).encode())
    def check(body: bytes) -> None:
        tally.case()
        expected = oracle.new_user_status(body)
        before = {key: user_rows(connection) for key, connection in databases.items()}
        responses = everywhere(
            framework_fleet,
            lambda sv: httpx.post(
                f"{sv.url}/api/users", content=body, headers={"content-type": "application/json"}, timeout=BOUND_SECONDS
            ),
        )
        record(tally, responses, "user-body")
        problems = []
        for key, response in responses.items():
            stored = user_rows(databases[key]) - before[key]
            if response.status_code != expected:
                problems.append(f"{key}: {response.status_code} {response.text[:150]}, expected {expected}")
            if stored != (1 if response.status_code == 201 else 0):
                tally.invalid_rows.append(f"{key}: {stored} rows stored for a {response.status_code}: {body[:80]!r}")
                problems.append(f"{key}: {stored} rows stored for a {response.status_code}")
            if response.status_code == 201:
                created = response.json()
                back = httpx.get(f"{framework_fleet[key].url}/api/users/{created['id']}", timeout=BOUND_SECONDS)
                tally.saw(key, back.status_code, "user-read-back")
                sent = json.loads(body)
                if back.json() != {"id": created["id"], "name": sent["name"], "email": sent["email"]}:
                    problems.append(f"{key}: read back {back.text[:150]}")
            elif response.status_code < 500 and response.json().get("error") not in (
                errors.MALFORMED_JSON,
                errors.VALIDATION_FAILED,
            ):
                problems.append(f"{key}: {response.status_code} body {response.text[:150]}")
        assert not problems, f"body {body[:200]!r}:\n" + "\n".join(problems)

    check()


INTEGER_TEXT = st.one_of(
    st.integers(-5, 40).map(str),
    st.integers(10**6, 10**40).map(str),
    st.sampled_from(["+5", " 5", "5 ", "5.0", "1e3", "1_0", "0x10", "٥", "５", "05", "-0", "", "five", "5%00", "5\n"]),
    st.text(alphabet=string.digits + "+-_. e٣", min_size=1, max_size=6),
)
VALUES = st.lists(INTEGER_TEXT, min_size=0, max_size=3)


def query(name: str, values: list[str]) -> str:
    return "&".join(f"{name}={quote(value, safe='')}" for value in values)


def expect_integer_answer(
    responses: dict[str, httpx.Response], name: str, value: int | None, body: Callable[[int], dict]
) -> list[str]:
    problems = []
    for key, response in responses.items():
        if value is None:
            ok = (
                response.status_code == 422
                and response.json() == {**response.json(), "error": errors.VALIDATION_FAILED}
                and list(response.json().get("fields", {})) == [name]
            )
        else:
            ok = response.status_code == 200 and response.json() == body(value)
        if not ok:
            problems.append(f"{key}: {response.status_code} {response.text[:150]}, expected {value}")
    return problems


def test_integer_parameters(fleet: dict[str, ServiceProcess], tally: Tally) -> None:
    """Signs, underscores, decimals, non-ASCII digits and repeats in `ms` and `n`: one answer, the contract's."""

    @EXAMPLES
    @given(values=VALUES, route=st.sampled_from(["io", "cpu"]))
    @example(values=["5", "7"], route="io")
    @example(values=["+5"], route="cpu")
    @example(values=["٥"], route="cpu")
    @example(values=["5.0"], route="io")
    @example(values=["1_0"], route="cpu")
    def check(values: list[str], route: str) -> None:
        tally.case()
        if route == "io":
            name, value = "ms", oracle.integer_param(values, 10, 0, 1000)
            values = values if value is None or value <= 40 else ["1"]
            value = oracle.integer_param(values, 10, 0, 1000)
            body: Callable[[int], dict] = lambda v: {"waited_ms": v}  # noqa: E731
        else:
            name, value = "n", oracle.integer_param(values, 10000, 1, 1_000_000)
            body = lambda v: {"n": v, "result": cpu_work(v)}  # noqa: E731
        path = f"/{route}?{query(name, values)}"
        responses = everywhere(fleet, lambda sv: httpx.get(f"{sv.url}{path}", timeout=BOUND_SECONDS))
        record(tally, responses, path)
        problems = expect_integer_answer(responses, name, value, body)
        assert not problems, f"{path}:\n" + "\n".join(problems)

    check()


def test_queries_parameter(framework_fleet: dict[str, ServiceProcess], tally: Tally) -> None:
    """TechEmpower's `queries`: the first value, clamped to 1..500, anything that is not an integer is 1."""

    @settings(EXAMPLES, max_examples=20)
    @given(values=st.lists(INTEGER_TEXT.filter(lambda v: not v.strip("-").isdigit() or int(v) < 50), max_size=3))
    def check(values: list[str]) -> None:
        tally.case()
        path = f"/queries?{query('queries', values)}"
        responses = everywhere(framework_fleet, lambda sv: httpx.get(f"{sv.url}{path}", timeout=BOUND_SECONDS))
        record(tally, responses, path)
        expected = oracle.queries_count(values)
        counts = {key: (r.status_code, len(r.json()) if r.status_code == 200 else None) for key, r in responses.items()}
        assert all(c == (200, expected) for c in counts.values()), (path, expected, counts)

    check()


SEGMENTS = st.one_of(
    st.integers(1, 100).map(str),
    st.integers(2**31 - 1, 2**80).map(str),
    st.sampled_from(["0", "-1", "+1", "01", "1.0", "1e2", "١", "１", " 1", "1 ", "0x1", "1_0", "%", "..", "1/"]),
    st.text(alphabet=string.digits + "+-._ ١", min_size=1, max_size=5),
)


def test_user_id_path(framework_fleet: dict[str, ServiceProcess], tally: Tally) -> None:
    """Only ASCII digits name a user: signs, decimals and other scripts' digits are 404 everywhere."""

    @settings(EXAMPLES, max_examples=30)
    @given(segment=SEGMENTS)
    def check(segment: str) -> None:
        tally.case()
        path = f"/api/users/{quote(segment, safe='')}"
        responses = everywhere(framework_fleet, lambda sv: httpx.get(f"{sv.url}{path}", timeout=BOUND_SECONDS))
        record(tally, responses, path)
        expected = 200 if oracle.user_id_found(segment) else 404
        statuses = {key: r.status_code for key, r in responses.items()}
        assert set(statuses.values()) == {expected}, (path, expected, statuses)
        if expected == 404:
            assert all(r.json() == {"error": errors.NOT_FOUND} for r in responses.values()), path

    check()


PATHS = {
    "/json": 200,
    "/json/": 404,
    "//json": 404,
    "/json//": 404,
    "/JSON": 404,
    "/json?": 200,
    "/json#x": 200,
    "/./json": 404,
    "/health//live": 404,
    "/health/live/": 404,
    "/plaintext/..": 404,
}


@pytest.mark.parametrize(("path", "status"), PATHS.items(), ids=list(PATHS))
def test_slashes_and_odd_paths(path: str, status: int, fleet: dict[str, ServiceProcess], tally: Tally) -> None:
    """Paths match exactly: no redirects, no merged or trailing slashes."""
    from tests.hostile.wire import exchange, request

    tally.case()
    results = {key: exchange(sv.port, [request("GET", path)], timeout=BOUND_SECONDS) for key, sv in fleet.items()}
    statuses = {key: (r.replies[0].status if r.replies else None) for key, r in results.items()}
    for key, code in statuses.items():
        tally.saw(key, code, path)
    assert set(statuses.values()) == {status}, statuses


def test_no_invalid_rows_stored(databases: dict[str, psycopg.Connection], tally: Tally) -> None:
    """After everything above, every stored user satisfies the contract (seeded rows included)."""
    tally.case()
    for key, connection in databases.items():
        for user_id, name, email in connection.execute("SELECT id, name, email FROM users"):
            if not oracle.valid_user(name, email):
                tally.invalid_rows.append(f"{key}: row {user_id} {name!r} {email!r}")
    assert not tally.invalid_rows, tally.invalid_rows[:10]
