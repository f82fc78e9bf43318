"""Every port the stack listens on, checked before anything starts, so a clash is named, not half-started."""

import socket

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
    """A port nothing listens on now (the system's choice), for a listener the stack starts right after."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: a port left in TIME_WAIT by the previous run is free; only a live listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def ports_in_use(settings: Settings) -> list[str]:
    """A line for each port that something else already listens on."""
    return [
        f"port {port} ({what}) is already in use: stop what holds it or set {variable}"
        for what, variable, port in stack_ports(settings)
        if not is_free(settings.bind_host, port)
    ]
