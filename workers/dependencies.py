"""What activities are built from: the API clients and the store, opened once per worker process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from clients.maventa import MaventaClient
from clients.netvisor import NetvisorClient
from clients.pacing import PacedTransport, Places, RequestPace
from observability.upstream import MeasuredTransport
from settings import Settings
from store.database import Sessions
from workers.maventa_budget import FleetPlaces, shares_a_store
from workers.netvisor_turns import NetvisorTurns


@dataclass(frozen=True)
class Dependencies:
    """What activity classes are given; nothing here is ever passed through a workflow."""

    settings: Settings
    maventa: MaventaClient
    netvisor: NetvisorClient
    sessions: Sessions


def maventa_http(settings: Settings) -> httpx.AsyncClient:
    """The HTTP client of every Maventa call a process makes, the worker's and the API's alike: measured
    (latency and failures in `/metrics`, every 429 among them), held by Maventa's 429s and, with a Maventa
    request budget, paced within this process's share of the fleet's budget, leased through the store
    (clients/pacing.py, workers/maventa_budget.py). One per process, so all its Maventa calls share the one
    pace."""
    budget = settings.maventa_requests_per_second
    places: Places | None = None
    if budget > 0 and shares_a_store(settings.store_url):
        places = FleetPlaces(settings.store_url, budget)
    pace = RequestPace(budget or None, places)
    transport = PacedTransport(pace, MeasuredTransport("maventa"))
    return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(settings.maventa_timeout_s))


@asynccontextmanager
async def open_dependencies(settings: Settings) -> AsyncIterator[Dependencies]:
    """Build every dependency from settings and close them all when the worker stops.

    The clients send through measured transports: every call's latency and failure is in `/metrics`; Maventa's
    are paced as maventa_http says.
    """
    maventa_client_http = maventa_http(settings)
    netvisor_http = httpx.AsyncClient(
        transport=MeasuredTransport("netvisor"), timeout=httpx.Timeout(settings.netvisor_timeout_s)
    )
    maventa = MaventaClient(
        settings.maventa_base_url,
        settings.maventa_vendor_api_key,
        http=maventa_client_http,
        timeout_s=settings.maventa_timeout_s,
    )
    turns = NetvisorTurns(settings.store_url)
    netvisor = NetvisorClient.from_settings(settings, http=netvisor_http, turns=turns)
    sessions = Sessions.for_url(settings.store_url)
    try:
        yield Dependencies(settings=settings, maventa=maventa, netvisor=netvisor, sessions=sessions)
    finally:
        await maventa_client_http.aclose()
        await netvisor_http.aclose()
        sessions.dispose()
        turns.dispose()
