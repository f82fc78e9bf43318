"""What activities are built from: the API clients and the store, opened once per worker process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from clients.maventa import MaventaClient
from clients.netvisor import NetvisorClient
from clients.pacing import PacedTransport, RequestPace
from observability.upstream import MeasuredTransport
from settings import Settings
from store.database import Sessions


@dataclass(frozen=True)
class Dependencies:
    """What activity classes are given; nothing here is ever passed through a workflow."""

    settings: Settings
    maventa: MaventaClient
    netvisor: NetvisorClient
    sessions: Sessions


@asynccontextmanager
async def open_dependencies(settings: Settings) -> AsyncIterator[Dependencies]:
    """Build every dependency from settings and close them all when the worker stops.

    The clients send through measured transports: every call's latency and failure is in `/metrics`. With a
    Maventa request budget, this process's Maventa requests are also spaced evenly (clients/pacing.py).
    """
    maventa_transport: httpx.AsyncBaseTransport = MeasuredTransport("maventa")
    pace = settings.maventa_requests_per_second_per_worker
    if pace is not None:
        maventa_transport = PacedTransport(RequestPace(pace), maventa_transport)
    maventa_http = httpx.AsyncClient(
        transport=maventa_transport, timeout=httpx.Timeout(settings.maventa_timeout_s)
    )
    netvisor_http = httpx.AsyncClient(
        transport=MeasuredTransport("netvisor"), timeout=httpx.Timeout(settings.netvisor_timeout_s)
    )
    maventa = MaventaClient(
        settings.maventa_base_url,
        settings.maventa_vendor_api_key,
        http=maventa_http,
        timeout_s=settings.maventa_timeout_s,
    )
    netvisor = NetvisorClient.from_settings(settings, http=netvisor_http)
    sessions = Sessions.for_url(settings.store_url)
    try:
        yield Dependencies(settings=settings, maventa=maventa, netvisor=netvisor, sessions=sessions)
    finally:
        await maventa_http.aclose()
        await netvisor_http.aclose()
        sessions.dispose()
