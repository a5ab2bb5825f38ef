"""Raw-socket framing cases (the transport rules), split by what owns each rule.

Behind nginx (the `+nginx` variants) each case gets the contract's answer: nginx's own answers carry the `Error`
body, a client too slow for `client_header_timeout`/`client_body_timeout` is disconnected (nginx logs 408 and
sends nothing), and the two cases nginx passes on (more than 100 header fields, a header line without a colon)
get the server's own answer. On the stock profiles the same cases are measured (what the client saw, after how
long) and checked against the server's documented settings (`stock_problem`); the table is printed at the end
of the session (tests/hostile/conftest.py) and kept in docs/servers.md.

Each case runs on every service at once (threads), so the suite waits for one deadline per case.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from service_common import errors
from tests.hostile.conftest import (
    BOUND_SECONDS,
    GUNICORN_TIMEOUT,
    READ_TIMEOUT,
    WORKERS,
    Served,
    Tally,
    behind_nginx,
)
from tests.hostile.wire import Exchange, chunked, exchange, request

USER = json.dumps({"name": "Wire User", "email": "wire@example.com"}).encode()
BOUND = BOUND_SECONDS
# How long a stock profile is watched: past gunicorn's timeout and a worker's restart, well short of forever.
WATCH_SECONDS = GUNICORN_TIMEOUT + 9.0


def body_path(service: Served) -> str:
    """A route that takes a body where the service has one; the baselines only have GET routes."""
    return "/api/users" if service.profile.needs_database else "/json"


def post(service: Served, headers: dict[str, str], body: bytes = b"") -> bytes:
    return request("POST", body_path(service), {"Content-Type": "application/json", **headers}, body)


@dataclass(frozen=True)
class Case:
    """One framing case: the bytes to send, what nginx must answer, and its transport class on a stock server."""

    id: str
    parts: Callable[[Served], list[bytes | float]]
    statuses: frozenset[int]  # behind nginx
    shut_write: bool = False
    silent_close: bool = False  # behind nginx: a disconnect without an answer is the rule (a timeout, the client left)
    upstream_answers: bool = False  # nginx passes it on: the server's own answer, which need not be the Error body
    stock: str = "malformed"  # the transport class, see stock_problem


def s(*codes: int) -> frozenset[int]:
    return frozenset(codes)


SLOW, BODY, LINE, FIELDS, MALFORMED = "slow", "body", "request-line", "header-fields", "malformed"
CASES = [
    Case(
        "lying-content-length",
        lambda sv: [post(sv, {"Content-Length": "100"}, USER[:10])],
        s(),
        silent_close=True,
        stock=SLOW,
    ),
    Case(
        "slow-body",
        lambda sv: [
            post(sv, {"Content-Length": str(len(USER))}, b""),
            *[p for b in USER[:12] for p in (bytes([b]), 0.25)],
        ],
        s(),
        silent_close=True,
        stock=SLOW,
    ),
    Case(
        "half-sent-then-eof",
        lambda sv: [post(sv, {"Content-Length": "100"}, USER[:10])],
        s(400),
        shut_write=True,
        silent_close=True,
        stock=BODY,
    ),
    Case("partial-request-line", lambda sv: [b"GET /json HT"], s(), silent_close=True, stock=SLOW),
    Case(
        "partial-headers",
        lambda sv: [b"GET /json HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1"],
        s(),
        silent_close=True,
        stock=SLOW,
    ),
    Case(
        "chunked-bad-size", lambda sv: [post(sv, {"Transfer-Encoding": "chunked"}, b"zz\r\nhello\r\n0\r\n\r\n")], s(400)
    ),
    Case(
        "chunked-unterminated",
        lambda sv: [post(sv, {"Transfer-Encoding": "chunked"}, b'5\r\n{"nam')],
        s(),
        silent_close=True,
        stock=BODY,
    ),
    Case(
        "chunked-oversized",
        lambda sv: [post(sv, {"Transfer-Encoding": "chunked"}, chunked(*[b"x" * 4096] * 5))],
        s(413),
        stock=BODY,
    ),
    Case("announced-oversized", lambda sv: [post(sv, {"Content-Length": "100000"}, b"")], s(413), stock=BODY),
    Case("content-length-not-a-number", lambda sv: [post(sv, {"Content-Length": "abc"}, b"{}")], s(400)),
    Case("content-length-negative", lambda sv: [post(sv, {"Content-Length": "-5"}, b"{}")], s(400)),
    Case("content-length-twice", lambda sv: [post(sv, {"Content-Length": "2", "Content-length": "3"}, b"{}x")], s(400)),
    Case(
        "content-length-and-chunked",
        lambda sv: [post(sv, {"Content-Length": "5", "Transfer-Encoding": "chunked"}, chunked(b"{}"))],
        s(400),
    ),
    Case("transfer-encoding-gzip", lambda sv: [post(sv, {"Transfer-Encoding": "gzip"}, b"{}")], s(400)),
    Case("uri-too-long", lambda sv: [request("GET", "/" + "a" * 20000)], s(414), stock=LINE),
    Case(
        "too-many-headers",
        lambda sv: [request("GET", "/json", {f"X-H{i}": "v" for i in range(150)})],
        s(431, 200),
        upstream_answers=True,
        stock=FIELDS,
    ),
    Case("header-too-large", lambda sv: [request("GET", "/json", {"X-Big": "v" * 10000})], s(431), stock=FIELDS),
    Case("not-http", lambda sv: [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n"], s(400)),
    Case("bad-method-token", lambda sv: [b"G(T /json HTTP/1.1\r\nHost: x\r\n\r\n"], s(400)),
    Case("bad-version", lambda sv: [b"GET /json HTTP/9.9\r\nHost: x\r\n\r\n"], s(400)),
    Case(
        "header-without-colon",
        lambda sv: [b"GET /json HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"],
        s(400, 200),
        upstream_answers=True,
    ),
    Case("nul-in-header", lambda sv: [b"GET /json HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"], s(400)),
]


def run_everywhere(fleet: dict[str, Served], send: Callable[[Served], Exchange]) -> dict[str, Exchange]:
    with ThreadPoolExecutor(len(fleet)) as pool:
        futures = {key: pool.submit(send, service) for key, service in fleet.items()}
        return {key: future.result() for key, future in futures.items()}


def server_kind(service: Served) -> str:
    """What decides the transport on a stock profile: gunicorn's sync or gthread worker, or uvicorn's httptools."""
    if service.profile.server == "uvicorn" or service.profile.name == "gunicorn-uvicorn":
        return "uvicorn"
    return service.profile.name  # gunicorn-sync, gunicorn-gthread


def outcome(result: Exchange) -> str:
    """What the client saw, as the table prints it."""
    if result.replies:
        return str(result.replies[0].status)
    return "closed, no answer" if result.closed else "held (no answer)"


def stock_problem(case: Case, kind: str, result: Exchange) -> str | None:
    """Where a stock server's answer departs from its documented settings (None: as documented).

    - slow (a request that stops short): gunicorn's sync worker is killed at its `timeout` and the client gets
      gunicorn's 500 or a disconnect, never before `timeout`; gthread and uvicorn have no request-read timeout and
      hold the client for as long as it waits.
    - request line over 8190 bytes: gunicorn's `limit_request_line` answers 414; uvicorn has no limit (the app's 404).
    - header fields (over 100, or one over 8190 bytes): gunicorn's `limit_request_fields` and
      `limit_request_field_size` answer 431; uvicorn has neither (the app answers 200).
    - body (half-sent, chunked, oversized): the application's answer or the server's, a 4xx, or held where the
      server waits for a body that never comes; a 5xx only where gunicorn killed a sync worker at its `timeout`.
    - malformed framing: a 4xx at once, from every server.
    """
    status = result.replies[0].status if result.replies else None
    killed_at_timeout = kind == "gunicorn-sync" and result.seconds >= GUNICORN_TIMEOUT and status in (500, None)
    held = status is None and result.timed_out
    if case.stock == SLOW:
        if kind == "gunicorn-sync":
            return None if killed_at_timeout and not result.timed_out else "expected gunicorn's timeout to end it"
        return None if held else "expected the request to be held: no read timeout"
    if case.stock == LINE:
        ok = status == 414 if kind != "uvicorn" else status == 404
        return None if ok else "expected 414 from limit_request_line (gunicorn) or the app's 404 (uvicorn)"
    if case.stock == FIELDS:
        ok = status == 431 if kind != "uvicorn" else status == 200
        return None if ok else "expected 431 from limit_request_fields/_field_size (gunicorn), 200 (uvicorn)"
    if case.stock == BODY:
        ok = (
            killed_at_timeout
            or held
            or (status is not None and 400 <= status < 500)
            or (status is None and result.closed)
        )
        return None if ok else "expected a 4xx, a disconnect, a hold, or gunicorn's timeout"
    return None if status is not None and 400 <= status < 500 else "expected a 4xx"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_transport_rules_hold_behind_nginx(case: Case, nginx_fleet: dict[str, Served], tally: Tally) -> None:
    """nginx's answer with the `Error` body (or its disconnect), within the bound; never a 5xx."""
    tally.case()
    results = run_everywhere(
        nginx_fleet, lambda sv: exchange(sv.port, case.parts(sv), timeout=BOUND + 3, shut_write=case.shut_write)
    )
    problems = []
    for key, result in results.items():
        status = result.replies[0].status if result.replies else None
        tally.saw(key, status, case.id, hung=result.timed_out and not result.replies)
        if not result.replies:
            if not (case.silent_close and result.closed):
                problems.append(f"{key}: no answer after {result.seconds:.1f}s (closed={result.closed})")
        elif status not in case.statuses:
            problems.append(f"{key}: {status} {result.replies[0].body[:120]!r}, expected {sorted(case.statuses)}")
        elif status != 200 and not case.upstream_answers and result.replies[0].error() is None:
            problems.append(f"{key}: {status} without the Error body: {result.replies[0].body[:120]!r}")
        if result.seconds > BOUND:
            problems.append(f"{key}: answered after {result.seconds:.1f}s > {BOUND}s")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_stock_servers_answer_as_documented(case: Case, stock_fleet: dict[str, Served], tally: Tally) -> None:
    """Each transport class on each stock profile: what the client saw and when, recorded and checked."""
    tally.case()
    results = run_everywhere(
        stock_fleet, lambda sv: exchange(sv.port, case.parts(sv), timeout=WATCH_SECONDS, shut_write=case.shut_write)
    )
    problems = []
    for key, result in results.items():
        kind = server_kind(stock_fleet[key])
        tally.transport.append((case.id, key, outcome(result), result.seconds))
        problem = stock_problem(case, kind, result)
        if problem:
            problems.append(f"{key} ({kind}): {outcome(result)} after {result.seconds:.1f}s; {problem}")
    assert not problems, "\n".join(problems)


def test_refusals_close_the_connection(nginx_fleet: dict[str, Served], tally: Tally) -> None:
    """After a request that stops short, nginx closes: where the next request would start is unknown."""
    tally.case()
    results = run_everywhere(
        nginx_fleet,
        lambda sv: exchange(sv.port, [post(sv, {"Content-Length": "100"}, USER[:10])], expect=2, timeout=BOUND),
    )
    for key, result in results.items():
        tally.saw(key, result.replies[0].status if result.replies else None, "refusal-closes")
    assert all(r.closed for r in results.values()), {k: (r.closed, r.seconds) for k, r in results.items()}


def test_valid_chunked_body_is_stored_and_read_back(framework_fleet: dict[str, Served], tally: Tally) -> None:
    """Behind nginx a chunked body is as good as one with a Content-Length (nginx de-chunks it): 201, read back.

    On stock gunicorn, Django reads Content-Length only and sees an empty body: a 400 it answers itself, no row.
    """
    framework_fleet = {k: sv for k, sv in framework_fleet.items() if behind_nginx(k)}
    tally.case()
    document = {"name": "Chunked Body", "email": "chunked@example.com"}
    raw = json.dumps(document).encode()
    parts = [
        request(
            "POST",
            "/api/users",
            {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            chunked(raw[:7], raw[7:]),
        )
    ]
    results = run_everywhere(framework_fleet, lambda sv: exchange(sv.port, parts, timeout=BOUND))
    for key, result in results.items():
        assert result.replies, f"{key}: no answer"
        reply = result.replies[0]
        tally.saw(key, reply.status, "chunked-valid")
        assert reply.status == 201, f"{key}: {reply.status} {reply.body[:200]!r}"
        created = json.loads(reply.body)
        back = exchange(framework_fleet[key].port, [request("GET", f"/api/users/{created['id']}")], timeout=BOUND)
        tally.saw(key, back.replies[0].status if back.replies else None, "chunked-read-back")
        assert json.loads(back.replies[0].body) == {"id": created["id"], **document}, key


def test_expect_100_continue(framework_fleet: dict[str, Served], tally: Tally) -> None:
    """`Expect: 100-continue` then the body: 201 (an interim 100 may come first)."""
    tally.case()
    raw = json.dumps({"name": "Expecting", "email": "expect@example.com"}).encode()
    head = request(
        "POST",
        "/api/users",
        {"Content-Type": "application/json", "Content-Length": str(len(raw)), "Expect": "100-continue"},
    )
    results = run_everywhere(framework_fleet, lambda sv: exchange(sv.port, [head, 0.3, raw], timeout=BOUND))
    for key, result in results.items():
        tally.saw(key, result.replies[0].status if result.replies else None, "expect-100")
        assert result.replies and result.replies[0].status == 201, (key, result)


def test_pipelined_requests(fleet: dict[str, Served], tally: Tally) -> None:
    """Three requests in one write: keep-alive profiles answer all in order; sync workers answer the first and close."""
    tally.case()
    parts = [request("GET", "/json") + request("GET", "/plaintext") + request("GET", "/health/live")]
    results = run_everywhere(fleet, lambda sv: exchange(sv.port, parts, expect=3, timeout=BOUND))
    for key, result in results.items():
        for reply in result.replies:
            tally.saw(key, reply.status, "pipelined")
        statuses = [r.status for r in result.replies]
        if key.endswith("gunicorn-sync"):  # stock: gunicorn's sync worker keeps no connection alive
            assert statuses == [200] and result.replies[0].headers.get("connection") == "close", (key, statuses)
        else:
            assert statuses == [200, 200, 200], (key, statuses)
            assert [r.body for r in result.replies][1] == b"Hello, World!", key


def test_head_and_options(fleet: dict[str, Served], tally: Tally) -> None:
    """HEAD is GET without the body (same status and Content-Length); OPTIONS is 405 with Allow: GET, HEAD."""
    tally.case(2)
    for key, service in fleet.items():
        get = exchange(service.port, [request("GET", "/json")], timeout=BOUND).replies[0]
        head = exchange(service.port, [request("HEAD", "/json")], timeout=BOUND, head_only=True).replies[0]
        options = exchange(service.port, [request("OPTIONS", "/json")], timeout=BOUND).replies[0]
        for reply, what in ((get, "get"), (head, "head"), (options, "options")):
            tally.saw(key, reply.status, what)
        assert head.status == 200 and head.body == b"", key
        assert head.headers.get("content-length") == str(len(get.body)), (key, head.headers)
        assert options.status == 405 and options.error() == errors.METHOD_NOT_ALLOWED, (key, options)
        assert options.headers.get("allow") == "GET, HEAD", (key, options.headers)


def hold_slow_connections(port: int, count: int, path_headers: bytes) -> list[socket.socket]:
    """`count` connections that each announce a body and send a tenth of it."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(path_headers)
        held.append(sock)
    return held


def request_slots(service: Served) -> int:
    """Requests the profile reads at once: a sync worker one, a gthread worker its threads, an event loop many."""
    if service.profile.name.endswith("sync"):
        return WORKERS
    if service.profile.name.endswith("gthread"):
        return WORKERS * 4
    return WORKERS * 16


def event_loop(service: Served) -> bool:
    return service.profile.server == "uvicorn" or service.profile.name == "gunicorn-uvicorn"


def test_slow_clients_do_not_stall_others(fleet: dict[str, Served], tally: Tally) -> None:
    """With every request slot held by a slow client, a normal request still gets through, and when.

    Behind nginx and on event loops it answers within one read deadline (nginx holds the slow clients; an event
    loop holds only their sockets). On stock gunicorn it waits for the server's `timeout` (sync: the held
    workers are killed and restarted) or for ever when every gthread thread is held (no read timeout): measured.
    """
    tally.case()

    def probe(service: Served) -> Exchange:
        slow = request_slots(service)
        held = hold_slow_connections(service.port, slow, post(service, {"Content-Length": "100"}, USER[:10]))
        try:
            time.sleep(0.2)
            return exchange(service.port, [request("GET", "/plaintext")], timeout=WATCH_SECONDS)
        finally:
            for sock in held:
                sock.close()

    results = run_everywhere(fleet, probe)
    problems = []
    for key, result in results.items():
        service = fleet[key]
        status = result.replies[0].status if result.replies else None
        if not behind_nginx(key):
            tally.transport.append(("behind-slow-clients", key, outcome(result), result.seconds))
        if not (behind_nginx(key) or service.profile.needs_database):
            continue  # a baseline answers 405 before the body: its slow clients hold nothing
        if behind_nginx(key) or event_loop(service):
            tally.saw(key, status, "behind-slow-clients", hung=not result.replies)
            if status != 200 or result.seconds > READ_TIMEOUT:
                problems.append(f"{key}: {outcome(result)} after {result.seconds:.1f}s (bound {READ_TIMEOUT}s)")
        elif service.profile.name == "gunicorn-sync":  # answered once gunicorn's timeout frees a worker
            if status != 200 or result.seconds < GUNICORN_TIMEOUT:
                problems.append(f"{key}: {outcome(result)} after {result.seconds:.1f}s, expected 200 after the timeout")
        elif status not in (None, 200):  # gthread: no read timeout; held when the slow clients took every thread
            # (whether they did depends on how the kernel spread their connections over the workers: recorded only)
            problems.append(f"{key}: {outcome(result)} after {result.seconds:.1f}s, expected 200 or to be held")
    assert not problems, "\n".join(problems)
