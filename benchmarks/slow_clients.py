"""What slow clients do to each server model: other clients' latency and success while N clients trickle bodies.

For every profile (two workers, SQLite, no tracing) and every N in --slow, N attackers each announce a
100-byte body on the body route (POST /api/users; /json on the baselines) and send one byte every
--trickle seconds, reconnecting whenever the server gives up on them; meanwhile --clients normal clients
send GET /plaintext in a loop, each on a new connection, with a --timeout. The table gives, per profile
and N, the normal clients' requests, success rate, median, p99 and worst latency, and what the attackers
got back. Everything is loopback traffic, bounded by --seconds per measurement.

    .venv/bin/python benchmarks/slow_clients.py                          # about 10 minutes on 2 cores
    .venv/bin/python benchmarks/slow_clients.py --profiles flask/gunicorn-sync --slow 0,4 --seconds 8

On the stock servers (issue 22) nothing bounds a slow request but gunicorn's `timeout` on sync workers, which kills
the held worker; gthread holds a thread per slow client and event-loop profiles a socket, for as long as the client
likes (docs/servers.md). --read-timeout sets REQUEST_READ_TIMEOUT, which only a proxy in front applies.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from common import measured
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from observatory.run.service import ServiceProcess
from service_common.profiles import ProfileError, all_profiles, find_profile


@dataclass
class Outcome:
    """What the normal clients and the attackers saw during one measurement."""

    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    attacker_answers: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def read_status(sock: socket.socket) -> str:
    """The status code of the answer on `sock`, or what happened instead."""
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return "closed" if not data else "partial"
        data += chunk
    return data.split(b" ", 2)[1].decode("latin-1")


def normal_client(port: int, stop: float, timeout: float, outcome: Outcome) -> None:
    """GET /plaintext on a new connection, again and again, until `stop`."""
    request = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    while time.monotonic() < stop:
        start = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
                sock.sendall(request)
                status = read_status(sock)
        except TimeoutError:
            status = "timeout"
        except OSError as error:
            status = type(error).__name__
        elapsed = time.monotonic() - start
        with outcome.lock:
            if status == "200":
                outcome.latencies.append(elapsed)
            else:
                outcome.failures[status] += 1


def slow_client(port: int, path: str, stop: float, trickle: float, outcome: Outcome) -> None:
    """Announce 100 bytes, send one every `trickle` seconds; start over when the server answers or closes."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    ).encode()
    while time.monotonic() < stop:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(head)
                sock.settimeout(trickle)
                answer = None
                for _ in range(100):
                    if time.monotonic() >= stop:
                        break
                    try:
                        answer = read_status(sock)
                        break
                    except TimeoutError:
                        sock.sendall(b" ")
                if answer is not None:
                    with outcome.lock:
                        outcome.attacker_answers[answer] += 1
        except OSError:
            time.sleep(0.05)


def measure(service: ServiceProcess, slow: int, args: argparse.Namespace) -> Outcome:
    """Run `slow` attackers and the normal clients side by side for --seconds."""
    outcome = Outcome()
    path = "/api/users" if service.profile.needs_database else "/json"
    attackers_stop = time.monotonic() + (0.5 if slow else 0) + args.seconds + 1.0
    threads = [
        threading.Thread(target=slow_client, args=(service.port, path, attackers_stop, args.trickle, outcome))
        for _ in range(slow)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5 if slow else 0)  # the attackers are connected before the first normal request
    stop = time.monotonic() + args.seconds
    clients = [
        threading.Thread(target=normal_client, args=(service.port, stop, args.timeout, outcome))
        for _ in range(args.clients)
    ]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    for thread in threads:
        thread.join()
    return outcome


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) >= 2 else (values[0] if values else 0.0)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    keys = [p.key for p in all_profiles()]
    parser.add_argument("--profiles", default=",".join(keys), help="comma-separated framework/profile keys [all]")
    parser.add_argument("--slow", default="0,2,8,32", help="numbers of slow clients to measure [%(default)s]")
    parser.add_argument("--clients", type=int, default=4, help="concurrent normal clients [%(default)s]")
    parser.add_argument("--seconds", type=float, default=12.0, help="measured seconds per N [%(default)s]")
    parser.add_argument("--timeout", type=float, default=15.0, help="a normal request's timeout [%(default)s]")
    parser.add_argument("--trickle", type=float, default=0.5, help="seconds between an attacker's bytes [%(default)s]")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per service [%(default)s]")
    parser.add_argument("--read-timeout", type=float, default=10.0, help="REQUEST_READ_TIMEOUT [%(default)s]")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    args = parser.parse_args()
    try:
        args.slow = [int(n) for n in args.slow.split(",") if n.strip()]
    except ValueError:
        parser.error(f"--slow must be comma-separated integers, got {args.slow!r}")
    if any(n < 0 for n in args.slow) or args.clients < 1 or args.seconds <= 0 or args.workers < 1:
        parser.error("--slow must be ≥ 0; --clients, --seconds and --workers must be positive")
    try:
        args.profiles = [find_profile(*key.strip().split("/", 1)) for key in args.profiles.split(",") if key.strip()]
    except (ProfileError, TypeError) as error:
        parser.error(str(error))
    return args


def row(profile: str, slow: int, outcome: Outcome) -> list[str]:
    done = len(outcome.latencies)
    failed = sum(outcome.failures.values())
    total = done + failed
    latencies = sorted(outcome.latencies)
    attackers = ", ".join(f"{status}×{count}" for status, count in outcome.attacker_answers.most_common()) or "-"
    failures = ", ".join(f"{status}×{count}" for status, count in outcome.failures.most_common()) or "-"
    return [
        profile, str(slow), str(total), f"{done / total:.0%}" if total else "-",
        f"{percentile(latencies, 50) * 1000:.0f}" if latencies else "-",
        f"{percentile(latencies, 99) * 1000:.0f}" if latencies else "-",
        f"{latencies[-1] * 1000:.0f}" if latencies else "-", failures, attackers,
    ]  # fmt: skip


HEADERS = ["profile", "slow", "requests", "ok", "p50 ms", "p99 ms", "max ms", "failures", "attackers got"]


def main() -> int:
    args = parse()
    console = Console() if Console().is_terminal else Console(width=160)
    rows: list[list[str]] = []
    console.print(
        f"{args.workers} workers, {args.clients} normal clients, {args.seconds:g} s per N, attackers trickle a byte "
        f"every {args.trickle:g} s, REQUEST_READ_TIMEOUT {args.read_timeout:g} s; all on loopback"
    )

    def measure_all() -> None:
        with tempfile.TemporaryDirectory(prefix="slow-clients-") as tmp, Progress(console=console) as progress:
            task = progress.add_task("measuring", total=len(args.profiles) * len(args.slow))
            for profile in args.profiles:
                env = {"REQUEST_READ_TIMEOUT": str(args.read_timeout)}
                work = Path(tmp) / profile.key.replace("/", "-")
                with ServiceProcess(profile, work, workers=args.workers, instrumentation="off", env=env) as service:
                    for slow in args.slow:
                        progress.update(task, description=f"{profile.key} · {slow} slow")
                        rows.append(row(profile.key, slow, measure(service, slow, args)))
                        progress.advance(task)

    code = measured(console, measure_all)
    if code:
        return code
    if args.markdown:
        print("| " + " | ".join(HEADERS) + " |")
        print("|" + "---|" * len(HEADERS))
        for cells in rows:
            print("| " + " | ".join(cells) + " |")
        return 0
    table = Table(title="Normal clients' GET /plaintext while N slow clients trickle request bodies")
    for header in HEADERS:
        table.add_column(header, justify="left" if header in ("profile", "failures", "attackers got") else "right")
    for cells in rows:
        table.add_row(*cells)
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
