"""`python -m bench.hostile`: what one hostile request costs the API process (docs/security.md).

The API runs as in production (`python -m starters.api`, its own process); the figures are that process's CPU
time (utime + stime from /proc, summed over many requests, so the 10 ms tick does not matter) and its resident
memory. Three kinds of request, each sent REQUESTS times over a fresh socket:

- baseline: an unauthenticated POST with an empty body (what any refusal costs);
- hostile: an unauthenticated POST declaring a 24 MiB body, sending its first 64 KiB and then reading;
- authenticated: the same 24 MiB sent whole by a caller with the token to the sales-invoice route, whose limit
  allows it: the cost the gate spares everyone else (the body is read, parsed, refused as invalid JSON).
"""

import json
import os
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
    statuses: list[int]


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _rss_mib(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB / 1024


def _request(port: int, headers: dict[str, str], send_bytes: int, declared: int) -> int:
    """One request on its own connection; returns the status (0 if the server closed before answering)."""
    head = f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    head += f"Content-Length: {declared}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(head.encode())
        chunk = b" " * (64 * 1024)
        sent = 0
        try:
            while sent < send_bytes:
                connection.sendall(chunk[: min(len(chunk), send_bytes - sent)])
                sent += min(len(chunk), send_bytes - sent)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = connection.recv(4096)
        except ConnectionResetError:
            return 0
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def _measure(pid: int, port: int, count: int, headers: dict[str, str], send: int, declared: int) -> Cost:
    before = _cpu_s(pid)
    statuses = [_request(port, headers, send, declared) for _ in range(count)]
    time.sleep(0.2)  # let the server finish closing the connections
    return Cost((_cpu_s(pid) - before) * 1000 / count, _rss_mib(pid), statuses)


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


def measure() -> dict[str, Cost]:
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
        costs = {
            "baseline": _measure(process.pid, port, REQUESTS, {}, 0, 0),
            "hostile": _measure(process.pid, port, REQUESTS, {}, 64 * 1024, HOSTILE_BYTES),
        }
        authorised = {"Authorization": f"Bearer {TOKEN}"}
        costs["authenticated"] = _measure(
            process.pid, port, AUTHENTICATED_REQUESTS, authorised, HOSTILE_BYTES, HOSTILE_BYTES
        )
        return costs
    finally:
        process.terminate()
        process.wait(30)


if __name__ == "__main__":
    results = measure()
    for name, cost in results.items():
        print(
            f"{name:>13}: {cost.cpu_ms_per_request:8.2f} ms CPU per request, "
            f"RSS {cost.rss_mib_after:6.1f} MiB after, statuses {sorted(set(cost.statuses))}"
        )
    print(json.dumps({name: cost.__dict__ for name, cost in results.items()}))
