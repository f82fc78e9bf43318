"""Every port the stack listens on, checked before anything starts, so a clash is named, not half-started."""

import random
import socket
from contextlib import ExitStack
from pathlib import Path

from devstack.temporal_server import frontend_port
from settings import Settings


def stack_ports(settings: Settings) -> list[tuple[str, str, int]]:
    """(what, environment variable that moves it, port) for each listener of the stack."""
    return [
        ("Temporal frontend", "TEMPORAL_ADDRESS", frontend_port(settings)),
        ("Temporal UI", "TEMPORAL_UI_PORT", settings.temporal_ui_port),
        ("API", "API_PORT", settings.api_port),
        ("Maventa sandbox", "MAVENTA_SANDBOX_PORT", settings.maventa_sandbox_port),
        ("Netvisor sandbox", "NETVISOR_SANDBOX_PORT", settings.netvisor_sandbox_port),
        *(
            (f"worker {n + 1} metrics", "METRICS_PORT", port)
            for n, port in enumerate(worker_metrics_ports(settings))
        ),
    ]


def worker_metrics_ports(settings: Settings) -> list[int]:
    """Each worker process of the stack serves its own `/metrics`: METRICS_PORT, the next one, and so on."""
    return [settings.metrics_port + n for n in range(settings.workers)]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for a listener the stack starts right after. Chosen below the system's
    range for outgoing connections: a port from that range (the system's own choice for port 0) may be taken
    by any outgoing connection before its listener binds it, and CI runs lost their stacks so, twice."""
    return free_port_block(1, host)


def free_port_block(count: int, host: str = "127.0.0.1") -> int:
    """The first of `count` consecutive free ports, chosen as `free_port` chooses one, for the workers'
    `/metrics` (METRICS_PORT, the next one, ...)."""
    lowest_outgoing = outgoing_port_range()[0]
    candidates = random.Random()
    for _ in range(200):
        first = candidates.randrange(LOWEST_CHOSEN_PORT, lowest_outgoing - count)
        if all_free(host, range(first, first + count)):
            return first
    raise OSError(f"no {count} consecutive free ports between {LOWEST_CHOSEN_PORT} and {lowest_outgoing}")


LOWEST_CHOSEN_PORT = 20000
OUTGOING_PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def outgoing_port_range() -> tuple[int, int]:
    """The ports the system picks for outgoing connections (Linux's default where it does not say)."""
    try:
        low, high = OUTGOING_PORT_RANGE.read_text().split()
    except (OSError, ValueError):
        return 32768, 60999
    return int(low), int(high)


def all_free(host: str, ports: range) -> bool:
    """Whether every port is free at once: each is held until all are checked."""
    with ExitStack() as held:
        for port in ports:
            probe = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            # SO_REUSEADDR: a port left in TIME_WAIT by the previous run is free; only a live listener is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                return False
    return True


def is_free(host: str, port: int) -> bool:
    return all_free(host, range(port, port + 1))


def ports_in_use(settings: Settings) -> list[str]:
    """A line for each port that something else already listens on."""
    return [
        f"port {port} ({what}) is already in use: stop what holds it or set {variable}"
        for what, variable, port in stack_ports(settings)
        if not is_free(settings.bind_host, port)
    ]
