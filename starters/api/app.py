"""The API's app factory: settings in, a FastAPI app out; routers are listed in ROUTERS.

To add endpoints: write `starters/api/<area>.py` with
`router = APIRouter(dependencies=[Depends(netvisor_caller)], responses=ERROR_RESPONSES)` (or `support_caller`;
the request gate runs that check before any body is read), raise `ApiError` for refusals, give a route whose
body may exceed 8 KiB `openapi_extra=body_limit(...)`, take the Temporal client with
`Depends(temporal_client)`, and add the router to ROUTERS.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from security.codec import EncryptionCodec
from settings import Settings
from settings.safety import refuse_unsafe
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
from starters.api.console import pages as console
from starters.api.errors import install_error_handlers
from starters.api.gate import RequestGate
from starters.api.links import with_links
from starters.api.store import answer_store_unavailable
from starters.api.temporal import TemporalConnection, TemporalUnavailable
from starters.inbound import wake_after_start
from starters.transactions import price_list_at_start

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    codec.router,
    codec_ui.router,
    codec_ui.signed_in,
    companies.router,
    support.router,
    maventa_account.router,
    maventa_account.support_router,
    transactions.router,
    sales_invoices.router,
    webhooks.router,
    received_invoices.router,
    received_invoices.support_router,
    console.router,
)


class CodecCors:
    """CORS for the codec endpoint only, and only for the Temporal UI's configured origins (§10): no
    other site's page may call the API from a browser, with or without the support session's cookie."""

    PATH = "/codec/"

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST"],
            allow_headers=["authorization", "content-type", "x-namespace"],
            allow_credentials=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.PATH):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def create_app(settings: Settings) -> FastAPI:
    """The API for these settings; raises UnsafeSettings for a configuration production must not serve."""
    refuse_unsafe(settings, "api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The API serves even while Temporal is down: /healthz says 503 and the client connects later.
        with suppress(TemporalUnavailable):
            await wake_after_start(await app.state.temporal.client(), settings)
        yield
        await received_invoices.close_clients(app)

    # Production answers nobody without a credential but /healthz: its description pages are not served there
    # (the same /openapi.json comes from any dev stack, `make run`).
    described = settings.api_docs if settings.api_docs is not None else not settings.is_production
    app = FastAPI(
        title="Maventa connection service",
        summary="Every Netvisor company's Maventa e-invoicing connection, as durable Temporal workflows.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/openapi.json" if described else None,
        docs_url="/docs" if described else None,
        redoc_url="/redoc" if described else None,
    )
    app.state.settings = settings
    app.state.temporal = TemporalConnection(settings)
    app.state.codec = EncryptionCodec.from_settings(settings)
    app.state.price_list = price_list_at_start(settings)
    install_error_handlers(app)
    answer_store_unavailable(app)
    for router in ROUTERS:
        app.include_router(router)
    describe = app.openapi

    def description_with_links() -> dict[str, Any]:
        return app.openapi_schema or with_links(describe())

    app.openapi = description_with_links  # type: ignore[method-assign]
    # The last added runs first: request id and access log, CORS (preflights answered there), the gate.
    app.add_middleware(RequestGate, settings=settings)
    app.add_middleware(CodecCors, origins=settings.temporal_ui_origins)
    app.add_middleware(AccessLogMiddleware)
    return app
