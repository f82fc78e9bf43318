"""What activities are built from: the API clients and the store, opened once per worker process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from clients.maventa import MaventaClient
from clients.netvisor import NetvisorClient
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
    """Build every dependency from settings and close them all when the worker stops."""
    maventa = MaventaClient(
        settings.maventa_base_url, settings.maventa_vendor_api_key, timeout_s=settings.maventa_timeout_s
    )
    netvisor = NetvisorClient.from_settings(settings)
    sessions = Sessions.for_url(settings.store_url)
    try:
        yield Dependencies(settings=settings, maventa=maventa, netvisor=netvisor, sessions=sessions)
    finally:
        await maventa.aclose()
        await netvisor.aclose()
        sessions.dispose()
