"""Every service answers every route and every bad input with the same status, headers and body."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

import httpx
import jsonschema
import pytest

from observatory.run.service import ServiceProcess
from service_common import errors
from service_common.limits import MAX_BODY_BYTES
from service_common.seed import FORTUNES
from service_common.workload_rules import ADDED_FORTUNE, cpu_work
from tests.conftest import BASELINES, FRAMEWORKS

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
BASELINE_PATHS = ("/json", "/plaintext", "/io", "/cpu", "/health/live", "/health/ready")


@dataclass(frozen=True)
class Case:
    """One request and what every service must answer to it."""

    id: str
    path: str
    status: int
    content_type: str = JSON
    method: str = "GET"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    fields: tuple[str, ...] | None = None
    expect: object = None
    rows: int | None = None

    @property
    def on_baselines(self) -> bool:
        """Whether the framework-less baselines serve this route too."""
        return self.method == "GET" and self.path.split("?")[0] in BASELINE_PATHS


def post_user(id: str, body: bytes | str, status: int, content_type: str = JSON, **kwargs: object) -> Case:
    """A POST /api/users case with a raw body."""
    raw = body.encode() if isinstance(body, str) else body
    return Case(id, "/api/users", status, method="POST", body=raw, headers={"content-type": content_type}, **kwargs)


def user(**values: object) -> str:
    """A JSON body for POST /api/users."""
    return json.dumps(values)


OK_USER = {"name": "Ada Lovelace", "email": "ada@example.com"}

CASES = [
    Case("json", "/json", 200, expect={"message": "Hello, World!"}),
    Case("plaintext", "/plaintext", 200, TEXT, expect="Hello, World!"),
    Case("db", "/db", 200),
    Case("queries-2", "/queries?queries=2", 200, rows=2),
    Case("queries-0", "/queries?queries=0", 200, rows=1),
    Case("queries-foo", "/queries?queries=foo", 200, rows=1),
    Case("queries-empty", "/queries?queries=", 200, rows=1),
    Case("queries-missing", "/queries", 200, rows=1),
    Case("queries-501", "/queries?queries=501", 200, rows=500),
    Case("queries-negative", "/queries?queries=-4", 200, rows=1),
    Case("queries-float", "/queries?queries=2.5", 200, rows=1),
    Case("queries-huge", "/queries?queries=99999999999999999999999", 200, rows=500),
    Case("updates-2", "/updates?queries=2", 200, rows=2),
    Case("updates-foo", "/updates?queries=foo", 200, rows=1),
    Case("updates-501", "/updates?queries=501", 200, rows=500),
    Case("fortunes", "/fortunes", 200, HTML),
    Case("user", "/api/users/1", 200, expect={"id": 1, "name": "User 1", "email": "user1@example.com"}),
    Case("user-missing", "/api/users/999999", 404, error=errors.NOT_FOUND),
    Case("user-zero", "/api/users/0", 404, error=errors.NOT_FOUND),
    Case("user-negative", "/api/users/-1", 404, error=errors.NOT_FOUND),
    Case("user-non-numeric", "/api/users/abc", 404, error=errors.NOT_FOUND),
    Case("user-float", "/api/users/1.5", 404, error=errors.NOT_FOUND),
    Case("user-over-int32", "/api/users/2147483648", 404, error=errors.NOT_FOUND),
    Case("user-huge", "/api/users/99999999999999999999999999", 404, error=errors.NOT_FOUND),
    Case("user-non-utf8-path", "/api/users/%ff%fe", 404, error=errors.NOT_FOUND),
    post_user("create", user(**OK_USER), 201),
    post_user("create-charset", user(name="Grace", email="grace@example.org"), 201, "application/json; charset=utf-8"),
    post_user("create-unicode", user(name="Zoë 日本", email="zoe@example.jp"), 201),
    post_user("malformed", '{"name": "x", "email": ', 400, error=errors.MALFORMED_JSON),
    post_user("truncated", user(**OK_USER)[:-3], 400, error=errors.MALFORMED_JSON),
    post_user("empty-body", b"", 400, error=errors.MALFORMED_JSON),
    post_user("non-utf8", b'{"name": "\xff\xfe", "email": "a@b.co"}', 400, error=errors.MALFORMED_JSON),
    post_user("not-json", "name=x&email=a@b.co", 400, error=errors.MALFORMED_JSON),
    post_user("lone-surrogate", '{"name": "\\ud800", "email": "a@b.co"}', 400, error=errors.MALFORMED_JSON),
    post_user("array", "[]", 422, error=errors.VALIDATION_FAILED, fields=("body",)),
    post_user("null", "null", 422, error=errors.VALIDATION_FAILED, fields=("body",)),
    post_user("unknown-field", user(**OK_USER, admin=True), 422, error=errors.VALIDATION_FAILED, fields=("admin",)),
    post_user("missing-field", user(name="x"), 422, error=errors.VALIDATION_FAILED, fields=("email",)),
    post_user("missing-all", "{}", 422, error=errors.VALIDATION_FAILED, fields=("email", "name")),
    post_user("wrong-type", user(name=5, email="a@b.co"), 422, error=errors.VALIDATION_FAILED, fields=("name",)),
    post_user("null-field", user(name=None, email="a@b.co"), 422, error=errors.VALIDATION_FAILED, fields=("name",)),
    post_user(
        "bad-email", user(name="x", email="not-an-email"), 422, error=errors.VALIDATION_FAILED, fields=("email",)
    ),
    post_user("empty-name", user(name="", email="a@b.co"), 422, error=errors.VALIDATION_FAILED, fields=("name",)),
    post_user("long-name", user(name="n" * 101, email="a@b.co"), 422, error=errors.VALIDATION_FAILED, fields=("name",)),
    post_user(
        "control-name", user(name="a\u0000b", email="a@b.co"), 422, error=errors.VALIDATION_FAILED, fields=("name",)
    ),
    post_user(
        "long-email", user(name="x", email="e" * 250 + "@b.co"), 422, error=errors.VALIDATION_FAILED, fields=("email",)
    ),
    post_user("text-plain", user(**OK_USER), 415, "text/plain", error=errors.UNSUPPORTED_MEDIA_TYPE),
    post_user("form", user(**OK_USER), 415, "application/x-www-form-urlencoded", error=errors.UNSUPPORTED_MEDIA_TYPE),
    post_user(
        "oversized",
        user(name="x", email="a@b.co", pad="p" * MAX_BODY_BYTES),
        413,
        error=errors.PAYLOAD_TOO_LARGE,
    ),
    Case("no-content-type", "/api/users", 415, method="POST", body=b"{}", error=errors.UNSUPPORTED_MEDIA_TYPE),
    Case("delete-user", "/api/users/1", 405, method="DELETE", error=errors.METHOD_NOT_ALLOWED),
    Case("put-users", "/api/users", 405, method="PUT", body=b"{}", error=errors.METHOD_NOT_ALLOWED),
    Case("get-users", "/api/users", 405, error=errors.METHOD_NOT_ALLOWED),
    Case("post-json", "/json", 405, method="POST", body=b"{}", error=errors.METHOD_NOT_ALLOWED),
    Case("delete-db", "/db", 405, method="DELETE", error=errors.METHOD_NOT_ALLOWED),
    Case("unknown-path", "/does-not-exist", 404, error=errors.NOT_FOUND),
    Case("long-path", "/" + "a" * 4000, 404, error=errors.NOT_FOUND),
    Case("io", "/io?ms=5", 200, expect={"waited_ms": 5}),
    Case("io-default", "/io", 200, expect={"waited_ms": 10}),
    Case("io-zero", "/io?ms=0", 200, expect={"waited_ms": 0}),
    Case("io-max", "/io?ms=1000", 200, expect={"waited_ms": 1000}),
    Case("io-over", "/io?ms=1001", 422, error=errors.VALIDATION_FAILED, fields=("ms",)),
    Case("io-negative", "/io?ms=-1", 422, error=errors.VALIDATION_FAILED, fields=("ms",)),
    Case("io-text", "/io?ms=abc", 422, error=errors.VALIDATION_FAILED, fields=("ms",)),
    Case("io-huge", "/io?ms=99999999999999999999999", 422, error=errors.VALIDATION_FAILED, fields=("ms",)),
    Case("cpu", "/cpu?n=100", 200, expect={"n": 100, "result": cpu_work(100)}),
    Case("cpu-default", "/cpu", 200, expect={"n": 10000, "result": cpu_work(10000)}),
    Case("cpu-zero", "/cpu?n=0", 422, error=errors.VALIDATION_FAILED, fields=("n",)),
    Case("cpu-over", "/cpu?n=1000001", 422, error=errors.VALIDATION_FAILED, fields=("n",)),
    Case("cpu-text", "/cpu?n=lots", 422, error=errors.VALIDATION_FAILED, fields=("n",)),
    Case("live", "/health/live", 200, expect={"status": "ok"}),
    Case("ready", "/health/ready", 200, expect={"status": "ok"}),
]


def send(service: ServiceProcess, case: Case) -> httpx.Response:
    """Send the case's request to one service."""
    with httpx.Client(base_url=service.url, timeout=10.0) as client:
        request = client.build_request(case.method, case.path, content=case.body, headers=case.headers)
        if case.body is not None and "content-type" not in case.headers:
            request.headers.pop("content-type", None)
        return client.send(request)


def check_headers(response: httpx.Response, case: Case) -> None:
    """Server, a fresh Date, the exact Content-Type and a true Content-Length."""
    assert response.headers.get("server"), "no Server header"
    date = parsedate_to_datetime(response.headers["date"])
    # Date is taken when the response starts; on a loaded 2-core machine a 500-row answer is read seconds later.
    # Staleness (a Date cached at start) is test_date_header_changes_every_second's job.
    assert abs(date.timestamp() - time.time()) < 10, f"stale Date {response.headers['date']}"
    assert response.headers.get("content-type") == case.content_type
    assert int(response.headers["content-length"]) == len(response.content)


def check_body(response: httpx.Response, case: Case, schemas: dict) -> None:
    """The body the contract promises for this case."""
    if case.content_type == TEXT:
        assert response.text == case.expect
        return
    if case.content_type == HTML:
        return
    body = response.json()
    if case.error is not None:
        assert body["error"] == case.error
        assert set(body) <= {"error", "fields"}
        if case.fields is None:
            assert "fields" not in body
        else:
            assert sorted(body["fields"]) == sorted(case.fields), body
            assert all(isinstance(m, str) and m for ms in body["fields"].values() for m in ms)
        return
    if case.expect is not None:
        assert body == case.expect
    if case.rows is not None:
        jsonschema.validate(body, schemas["WorldList"] | {"components": {"schemas": schemas}})
        assert len(body) == case.rows
    if case.path == "/db":
        jsonschema.validate(body, schemas["World"])
    if case.status == 201:
        assert body["id"] >= 1
        sent = json.loads(case.body or b"{}")
        assert {"name": body["name"], "email": body["email"]} == sent
        assert response.headers["location"] == f"/api/users/{body['id']}"


def normalised(response: httpx.Response) -> object:
    """What must be equal across services: status, and the body's shape."""
    if not response.headers.get("content-type", "").startswith(JSON):
        return (response.status_code, response.headers.get("content-type"))
    body = response.json()
    if isinstance(body, dict) and "error" in body:
        return (response.status_code, body["error"], sorted(body.get("fields", {})))
    if isinstance(body, list):
        return (response.status_code, len(body))
    if isinstance(body, dict) and "id" in body and "name" in body and response.status_code == 201:
        return (response.status_code, sorted(body))
    if isinstance(body, dict) and "randomNumber" in body:
        return (response.status_code, sorted(body))
    return (response.status_code, body)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_service_answers_alike(case: Case, services: dict[str, ServiceProcess], contract: dict) -> None:
    """Same status, headers contract and equivalent body from every service that serves the route."""
    names = [*FRAMEWORKS, *(BASELINES if case.on_baselines else ())]
    schemas = contract["components"]["schemas"]
    answers = {}
    for name in names:
        response = send(services[name], case)
        assert response.status_code == case.status, f"{name}: {response.status_code} {response.text[:300]}"
        check_headers(response, case)
        check_body(response, case, schemas)
        answers[name] = normalised(response)
    assert len({json.dumps(a, sort_keys=True) for a in answers.values()}) == 1, answers


def test_baselines_do_not_serve_database_routes(services: dict[str, ServiceProcess]) -> None:
    """The baselines have no database: /db is a plain 404 with the shared body."""
    for name in BASELINES:
        response = httpx.get(f"{services[name].url}/db")
        assert response.status_code == 404
        assert response.json() == {"error": errors.NOT_FOUND}


def test_very_long_path_is_refused_without_a_server_error(services: dict[str, ServiceProcess]) -> None:
    """Past the servers' request-line limit the server itself answers: a 4xx, never a 5xx or a hang."""
    for name, service in services.items():
        response = httpx.get(f"{service.url}/{'b' * 20000}", timeout=10)
        assert 400 <= response.status_code < 500, name


def test_date_header_changes_every_second(services: dict[str, ServiceProcess]) -> None:
    """TechEmpower's rule: the Date header is fresh, not cached at start."""
    for name, service in services.items():
        first = httpx.get(f"{service.url}/plaintext").headers["date"]
        time.sleep(1.1)
        second = httpx.get(f"{service.url}/plaintext").headers["date"]
        assert first != second, name


class FortuneRows(HTMLParser):
    """Collects the (id, message) cells of the fortunes table, entities decoded."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        self._in_cell = tag == "td"
        if self._in_cell:
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.rows[-1][-1] += data


def test_fortunes_are_the_same_everywhere(framework_services: dict[str, ServiceProcess]) -> None:
    """All rows plus the request-time row, sorted by message, escaped, UTF-8 intact, in every service."""
    expected = sorted([*FORTUNES, (0, ADDED_FORTUNE)], key=lambda row: row[1])
    for name, service in framework_services.items():
        response = httpx.get(f"{service.url}/fortunes")
        html = response.content.decode("utf-8")
        assert html.startswith("<!DOCTYPE html>"), name
        assert "<title>Fortunes</title>" in html
        assert "<script>" not in html and "&lt;script&gt;" in html, name
        assert "フレームワークのベンチマーク" in html, name
        parser = FortuneRows()
        parser.feed(html)
        rows = [(int(r[0]), r[1]) for r in parser.rows if r]
        assert rows == expected, name
