"""The API's app factory: settings in, a FastAPI app out; routers are listed in ROUTERS.

To add endpoints: write `starters/api/<area>.py` with
`router = APIRouter(dependencies=[Depends(netvisor_caller)])` (or `support_caller`), raise `ApiError` for
refusals, take the Temporal client with `Depends(temporal_client)`, and add the router to ROUTERS.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from security.codec import EncryptionCodec
from settings import Settings
from starters.api import (
    codec,
    codec_ui,
    companies,
    health,
    maventa_account,
    received_invoices,
    sales_invoices,
    support,
    transactions,
    webhooks,
)
from starters.api.access_log import AccessLogMiddleware
from starters.api.body_limit import BodyLimitMiddleware
from starters.api.errors import install_error_handlers
from starters.api.temporal import TemporalConnection, TemporalUnavailable

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    codec.router,
    codec_ui.router,
    companies.router,
    support.router,
    maventa_account.router,
    maventa_account.support_router,
    transactions.router,
    sales_invoices.router,
    webhooks.router,
    received_invoices.router,
    received_invoices.support_router,
)


def temporal_ui_origins(settings: Settings) -> list[str]:
    """The Temporal UI calls the codec endpoint from the browser (SPEC §10), so its origin needs CORS."""
    if settings.temporal_ui_origin:
        return [settings.temporal_ui_origin]
    return [f"http://{host}:{settings.temporal_ui_port}" for host in ("127.0.0.1", "localhost")]


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The API serves even while Temporal is down: /healthz says 503 and the client connects later.
        with suppress(TemporalUnavailable):
            await app.state.temporal.client()
        yield
        await received_invoices.close_clients(app)

    app = FastAPI(
        title="Maventa connection service",
        summary="Every Netvisor company's Maventa e-invoicing connection, as durable Temporal workflows.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.temporal = TemporalConnection(settings)
    app.state.codec = EncryptionCodec.from_settings(settings)
    app.state.price_list = transactions.price_list_at_start(settings)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=temporal_ui_origins(settings),
        allow_methods=["POST"],
        allow_headers=["authorization", "content-type", "x-namespace"],
        allow_credentials=True,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(AccessLogMiddleware)
    return app
