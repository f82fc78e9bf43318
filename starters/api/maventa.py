"""The API process's Maventa calls (checking linked keys, listing and looking up received invoices): all
through one HTTP client paced at this process's share of MAVENTA_REQUESTS_PER_SECOND, the same policy as a
worker's (workers/dependencies.py, clients/pacing.py): no API request takes Maventa over the budget."""

import httpx
from fastapi import FastAPI, Request

from clients.maventa import MaventaClient
from settings import Settings
from workers.dependencies import maventa_http


def _http(app: FastAPI) -> httpx.AsyncClient:
    http: httpx.AsyncClient | None = getattr(app.state, "maventa_http", None)
    if http is None:
        http = app.state.maventa_http = maventa_http(app.state.settings)
    return http


def maventa_client(request: Request) -> MaventaClient:
    """The process's Maventa client, whose company tokens are cached; made on first use."""
    client: MaventaClient | None = getattr(request.app.state, "maventa_client", None)
    if client is None:
        client = request.app.state.maventa_client = fresh_maventa_client(request)
    return client


def fresh_maventa_client(request: Request) -> MaventaClient:
    """A client with no cached tokens (so none can vouch for a wrong key), paced like every other."""
    settings: Settings = request.app.state.settings
    return MaventaClient(
        settings.maventa_base_url,
        settings.maventa_vendor_api_key,
        http=_http(request.app),
        timeout_s=settings.maventa_timeout_s,
    )


async def close_maventa(app: FastAPI) -> None:
    http: httpx.AsyncClient | None = getattr(app.state, "maventa_http", None)
    if http is not None:
        await http.aclose()
