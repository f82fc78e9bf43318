"""The Maventa sandbox application: the AutoXChange subset the service uses, plus /_sandbox controls."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from sqlmodel import Session

from sandbox.maventa import companies, controls, invoices, notifications, partner, profiles, tokens
from sandbox.maventa.accounts import seed_partner
from sandbox.maventa.clock import run_clock
from sandbox.maventa.config import MaventaSandboxConfig
from sandbox.maventa.context import SandboxContext
from sandbox.maventa.contract import ContractCheck
from sandbox.maventa.database import create_database
from sandbox.maventa.errors import install_error_handlers
from sandbox.maventa.faults import FaultInjection
from sandbox.maventa.webhooks import WebhookSender


def create_app(config: MaventaSandboxConfig) -> FastAPI:
    engine = create_database(config.database_url)
    with Session(engine) as session:
        seed_partner(session, config)
    context = SandboxContext(config=config, engine=engine, webhooks=WebhookSender(config.webhook_timeout_s))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        clock = asyncio.create_task(run_clock(context))
        try:
            yield
        finally:
            clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await clock
            await context.webhooks.aclose()
            engine.dispose()

    app = FastAPI(title="Maventa sandbox (AutoXChange subset)", lifespan=lifespan)
    app.state.sandbox = context
    install_error_handlers(app)

    app.add_middleware(ContractCheck, context=context)
    # Added last, so it runs first: an injected fault answers before anything is checked.
    app.add_middleware(FaultInjection, faults=context.faults)

    for module in (tokens, companies, profiles, invoices, partner, notifications, controls):
        app.include_router(module.router)
    return app
