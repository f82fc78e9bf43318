"""`python -m bench.hostile`: what one hostile request costs the API process (docs/security.md).

The API runs as in production (`python -m starters.api`, its own process); the figures are that process's CPU
time (utime + stime from /proc, summed over many requests, so the 10 ms tick does not matter) and its resident
memory (after, and its peak). Each kind of request is sent over a fresh socket, the client reading while it
sends; the authenticated kinds each in a fresh API process:

- baseline: an unauthenticated POST with an empty body (what any refusal costs);
- hostile: an unauthenticated POST declaring a 24 MiB body, sending its first 64 KiB and then reading;
- authenticated: a caller with the Netvisor token sends 24 MiB to the sales-invoice route (the largest limit,
  16 MiB), declaring its length;
- authenticated, chunked: the same without a length (Transfer-Encoding: chunked), so only counting the bytes
  as they arrive can stop it.
"""

import json
import os
import select
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import free_port

HOSTILE_BYTES = 24 * 1024 * 1024
REQUESTS = 40
AUTHENTICATED_REQUESTS = 5
TOKEN = "bench-hostile-netvisor-token-0123456789"
PATH = "/v1/companies/c-1/sales-invoices"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Cost:
    cpu_ms_per_request: float
    rss_mib_after: float
    rss_peak_mib: float
    statuses: list[int]


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _rss_mib(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB / 1024


def _rss_peak_mib(pid: int) -> float:
    """The process's highest resident memory so far (VmHWM)."""
    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def request_body(send_bytes: int, chunked: bool) -> bytes:
    filler = b" " * send_bytes
    if not chunked:
        return filler
    pieces = (filler[at : at + 64 * 1024] for at in range(0, send_bytes, 64 * 1024))
    frames = (b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
    return b"".join(frames) + b"0\r\n\r\n"


def exchange(port: int, data: bytes, timeout_s: float = 60.0) -> tuple[bytes, int]:
    """Send `data` on a connection of its own while reading the answer, until the server closes (or says
    nothing for `timeout_s`); returns the answer and how many bytes went. A send the server refuses (it
    closed) ends the sending only: what it answered before may still be unread."""
    answer, view, sent = b"", memoryview(data), 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as connection:
        connection.setblocking(False)
        while True:
            writing = [connection] if view else []
            readable, writable, _ = select.select([connection], writing, [], timeout_s)
            if readable:
                try:
                    received = connection.recv(65536)
                except ConnectionResetError:
                    received = b""
                if not received:
                    break
                answer += received
            elif writable:
                try:
                    written = connection.send(view[: 64 * 1024])
                except (BrokenPipeError, ConnectionResetError):
                    view = view[:0]
                    continue
                view, sent = view[written:], sent + written
            else:
                break
    return answer, sent


def _request(port: int, headers: dict[str, str], body: bytes, declared: int | None) -> int:
    """One request on its own connection, reading while sending; returns the status (0 if the server closed
    before answering)."""
    head = f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    length = "Transfer-Encoding: chunked" if declared is None else f"Content-Length: {declared}"
    head += f"{length}\r\nConnection: close\r\n\r\n"
    answer, _ = exchange(port, head.encode() + body)
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _measure(
    pid: int, port: int, count: int, headers: dict[str, str], send: int, declared: int | None
) -> Cost:
    body = request_body(send, chunked=declared is None)
    before = _cpu_s(pid)
    statuses = [_request(port, headers, body, declared) for _ in range(count)]
    time.sleep(0.2)  # let the server finish closing the connections
    return Cost((_cpu_s(pid) - before) * 1000 / count, _rss_mib(pid), _rss_peak_mib(pid), statuses)


def _wait_until_serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the API did not start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the API did not start within 60 s")


Kind = tuple[int, dict[str, str], int, int | None]
"""How many requests, their headers, the body bytes sent, the declared length (None: chunked)."""


def _measure_in_a_fresh_api(kinds: dict[str, Kind]) -> dict[str, Cost]:
    """The kinds one after another, in an API process of their own (so no other kind's peak hides theirs)."""
    port = free_port()
    environment = {
        **os.environ,
        "API_PORT": str(port),
        "API_NETVISOR_TOKEN": TOKEN,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "DATA_DIR": str(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-hostile-{port}"),
        "LOG_LEVEL": "ERROR",
    }
    process = subprocess.Popen([sys.executable, "-m", "starters.api"], env=environment)
    try:
        _wait_until_serving(port, process)
        _measure(process.pid, port, 3, {}, 0, 0)  # warm-up
        return {name: _measure(process.pid, port, *kind) for name, kind in kinds.items()}
    finally:
        process.terminate()
        process.wait(30)


def measure() -> dict[str, Cost]:
    authorised = {"Authorization": f"Bearer {TOKEN}"}
    costs = _measure_in_a_fresh_api(
        {
            "baseline": (REQUESTS, {}, 0, 0),
            "hostile": (REQUESTS, {}, 64 * 1024, HOSTILE_BYTES),
        }
    )
    costs |= _measure_in_a_fresh_api(
        {"authenticated": (AUTHENTICATED_REQUESTS, authorised, HOSTILE_BYTES, HOSTILE_BYTES)}
    )
    costs |= _measure_in_a_fresh_api({"chunked": (AUTHENTICATED_REQUESTS, authorised, HOSTILE_BYTES, None)})
    return costs


if __name__ == "__main__":
    results = measure()
    for name, cost in results.items():
        print(
            f"{name:>13}: {cost.cpu_ms_per_request:8.2f} ms CPU per request, "
            f"RSS {cost.rss_mib_after:6.1f} MiB after (peak {cost.rss_peak_mib:6.1f}), "
            f"statuses {sorted(set(cost.statuses))}"
        )
    print(json.dumps({name: cost.__dict__ for name, cost in results.items()}))
