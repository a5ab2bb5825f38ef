"""Raw-socket framing cases against every service and profile: the contract's status and `Error` body, in time.

Each case runs on every profile at once (threads), so the suite waits for one read deadline per case, not ten.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from observatory.run.service import ServiceProcess
from service_common import errors
from tests.hostile.conftest import BOUND_SECONDS, READ_TIMEOUT, WORKERS, Tally
from tests.hostile.wire import Exchange, chunked, exchange, request

USER = json.dumps({"name": "Wire User", "email": "wire@example.com"}).encode()
BOUND = BOUND_SECONDS


def body_path(service: ServiceProcess) -> str:
    """A route that takes a body where the service has one; the baselines only have GET routes."""
    return "/api/users" if service.profile.needs_database else "/json"


def post(service: ServiceProcess, headers: dict[str, str], body: bytes = b"") -> bytes:
    return request("POST", body_path(service), {"Content-Type": "application/json", **headers}, body)


@dataclass(frozen=True)
class Case:
    """One framing case: the bytes to send, and the statuses allowed (framework services / baselines)."""

    id: str
    parts: Callable[[ServiceProcess], list[bytes | float]]
    statuses: frozenset[int]
    baseline_statuses: frozenset[int] | None = None  # None: same as `statuses`
    closed: bool = True  # the server must close the connection after answering
    shut_write: bool = False
    allow_silent_close: bool = False  # closing without an answer is acceptable (the client left)

    def allowed(self, service: ServiceProcess) -> frozenset[int]:
        if service.profile.needs_database or self.baseline_statuses is None:
            return self.statuses
        return self.baseline_statuses


def s(*codes: int) -> frozenset[int]:
    return frozenset(codes)


CASES = [
    Case("lying-content-length", lambda sv: [post(sv, {"Content-Length": "100"}, USER[:10])], s(408), s(405, 408)),
    Case(
        "slow-body",
        lambda sv: [
            post(sv, {"Content-Length": str(len(USER))}, b""),
            *[p for b in USER[:12] for p in (bytes([b]), 0.25)],
        ],
        s(408),
        s(405, 408),
    ),
    Case(
        "half-sent-then-eof",
        lambda sv: [post(sv, {"Content-Length": "100"}, USER[:10])],
        s(400, 408),
        s(400, 405, 408),
        shut_write=True,
        allow_silent_close=True,
    ),
    Case("partial-request-line", lambda sv: [b"GET /json HT"], s(408)),
    Case("partial-headers", lambda sv: [b"GET /json HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1"], s(408)),
    Case(
        "chunked-bad-size",
        lambda sv: [post(sv, {"Transfer-Encoding": "chunked"}, b"zz\r\nhello\r\n0\r\n\r\n")],
        s(400),
        s(400, 405),
    ),
    Case(
        "chunked-unterminated",
        lambda sv: [post(sv, {"Transfer-Encoding": "chunked"}, b'5\r\n{"nam')],
        s(408),
        s(405, 408),
    ),
    Case(
        "chunked-oversized",
        lambda sv: [post(sv, {"Transfer-Encoding": "chunked"}, chunked(*[b"x" * 4096] * 5))],
        s(413),
        s(405, 413),
    ),
    Case("announced-oversized", lambda sv: [post(sv, {"Content-Length": "100000"}, b"")], s(413)),
    Case("content-length-not-a-number", lambda sv: [post(sv, {"Content-Length": "abc"}, b"{}")], s(400)),
    Case("content-length-negative", lambda sv: [post(sv, {"Content-Length": "-5"}, b"{}")], s(400)),
    Case(
        "content-length-twice",
        lambda sv: [post(sv, {"Content-Length": "2", "Content-length": "3"}, b"{}x")],
        s(400),
    ),
    Case(
        "content-length-and-chunked",
        lambda sv: [post(sv, {"Content-Length": "5", "Transfer-Encoding": "chunked"}, chunked(b"{}"))],
        s(400),
    ),
    Case("transfer-encoding-gzip", lambda sv: [post(sv, {"Transfer-Encoding": "gzip"}, b"{}")], s(400)),
    Case("uri-too-long", lambda sv: [request("GET", "/" + "a" * 20000)], s(414)),
    Case("too-many-headers", lambda sv: [request("GET", "/json", {f"X-H{i}": "v" for i in range(150)})], s(431)),
    Case("header-too-large", lambda sv: [request("GET", "/json", {"X-Big": "v" * 10000})], s(431)),
    Case("not-http", lambda sv: [b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n"], s(400)),
    Case("bad-method-token", lambda sv: [b"G(T /json HTTP/1.1\r\nHost: x\r\n\r\n"], s(400)),
    Case("bad-version", lambda sv: [b"GET /json HTTP/9.9\r\nHost: x\r\n\r\n"], s(400)),
    Case("header-without-colon", lambda sv: [b"GET /json HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"], s(400)),
    Case("nul-in-header", lambda sv: [b"GET /json HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"], s(400)),
]


def run_everywhere(fleet: dict[str, ServiceProcess], send: Callable[[ServiceProcess], Exchange]) -> dict[str, Exchange]:
    with ThreadPoolExecutor(len(fleet)) as pool:
        futures = {key: pool.submit(send, service) for key, service in fleet.items()}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_framing_case(case: Case, fleet: dict[str, ServiceProcess], tally: Tally) -> None:
    """The allowed status with the `Error` body, within the bound, and the connection closed after it."""
    tally.case()
    results = run_everywhere(
        fleet, lambda sv: exchange(sv.port, case.parts(sv), timeout=BOUND + 3, shut_write=case.shut_write)
    )
    problems = []
    for key, result in results.items():
        service = fleet[key]
        status = result.replies[0].status if result.replies else None
        hung = result.timed_out and not result.replies
        tally.saw(key, status, case.id, hung=hung)
        if not result.replies:
            if not (case.allow_silent_close and result.closed):
                problems.append(f"{key}: no answer after {result.seconds:.1f}s (closed={result.closed})")
            continue
        reply = result.replies[0]
        if reply.status not in case.allowed(service):
            problems.append(f"{key}: {reply.status} {reply.body[:120]!r}, expected {sorted(case.allowed(service))}")
        elif reply.error() is None:
            problems.append(f"{key}: {reply.status} without the Error body: {reply.body[:120]!r}")
        if result.seconds > BOUND:
            problems.append(f"{key}: answered after {result.seconds:.1f}s > {BOUND}s")
    assert not problems, "\n".join(problems)


def test_refusals_close_the_connection(fleet: dict[str, ServiceProcess], tally: Tally) -> None:
    """After a framing refusal the server closes: where the next request would start is unknown."""
    tally.case()
    results = run_everywhere(
        fleet, lambda sv: exchange(sv.port, [post(sv, {"Content-Length": "100"}, USER[:10])], expect=2, timeout=BOUND)
    )
    for key, result in results.items():
        tally.saw(key, result.replies[0].status if result.replies else None, "refusal-closes")
    assert all(r.closed for r in results.values()), {k: (r.closed, r.seconds) for k, r in results.items()}


def test_valid_chunked_body_is_stored_and_read_back(framework_fleet: dict[str, ServiceProcess], tally: Tally) -> None:
    """A chunked body is as good as one with a Content-Length: 201 everywhere, and the row reads back."""
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


def test_expect_100_continue(framework_fleet: dict[str, ServiceProcess], tally: Tally) -> None:
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


def test_pipelined_requests(fleet: dict[str, ServiceProcess], tally: Tally) -> None:
    """Three requests in one write: keep-alive profiles answer all in order; sync workers answer the first and close."""
    tally.case()
    parts = [request("GET", "/json") + request("GET", "/plaintext") + request("GET", "/health/live")]
    results = run_everywhere(fleet, lambda sv: exchange(sv.port, parts, expect=3, timeout=BOUND))
    for key, result in results.items():
        for reply in result.replies:
            tally.saw(key, reply.status, "pipelined")
        statuses = [r.status for r in result.replies]
        if key.endswith("gunicorn-sync"):
            assert statuses == [200] and result.replies[0].headers.get("connection") == "close", (key, statuses)
        else:
            assert statuses == [200, 200, 200], (key, statuses)
            assert [r.body for r in result.replies][1] == b"Hello, World!", key


def test_head_and_options(fleet: dict[str, ServiceProcess], tally: Tally) -> None:
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


def request_slots(service: ServiceProcess) -> int:
    """Requests the profile reads at once: a sync worker one, a gthread worker its threads, an event loop many."""
    if service.profile.name.endswith("sync"):
        return WORKERS
    if service.profile.name.endswith("gthread"):
        return WORKERS * 4
    return WORKERS * 16  # more than Django's ASGI limit (10 per worker): slow bodies must not hold its slots


def event_loop(service: ServiceProcess) -> bool:
    return service.profile.server == "uvicorn" or service.profile.name == "gunicorn-uvicorn"


def test_slow_clients_do_not_stall_others(fleet: dict[str, ServiceProcess], tally: Tally) -> None:
    """With every request slot held by a slow client, a normal request answers within one read deadline."""
    tally.case()

    def probe(service: ServiceProcess) -> Exchange:
        slow = request_slots(service)
        held = hold_slow_connections(service.port, slow, post(service, {"Content-Length": "100"}, USER[:10]))
        try:
            time.sleep(0.2)
            return exchange(service.port, [request("GET", "/plaintext")], timeout=BOUND + 3)
        finally:
            for sock in held:
                sock.close()

    results = run_everywhere(fleet, probe)
    for key, result in results.items():
        status = result.replies[0].status if result.replies else None
        tally.saw(key, status, "behind-slow-clients", hung=not result.replies)
        assert status == 200, (key, result)
        bound = READ_TIMEOUT if event_loop(fleet[key]) else BOUND  # an event loop waits for no slow client
        assert result.seconds <= bound, f"{key}: waited {result.seconds:.1f}s behind slow clients (bound {bound}s)"
