"""The Netvisor sandbox: Netvisor's public XML resources the service uses, the internal ones it assumes, and
the controls tests and demos drive it with (§8.2, docs/netvisor-sandbox.md)."""

from fastapi import FastAPI, Request
from starlette.responses import Response

from sandbox.netvisor.concurrency import OneMessageAtATime
from sandbox.netvisor.config import NetvisorSandboxConfig
from sandbox.netvisor.controls import router as controls
from sandbox.netvisor.envelope import NetvisorFailure, failed_response, wants_http_status
from sandbox.netvisor.faults import FaultsMiddleware
from sandbox.netvisor.internal import router as internal
from sandbox.netvisor.purchase_invoices import router as purchase_invoices
from sandbox.netvisor.state import SandboxState, make_engine


def create_app(config: NetvisorSandboxConfig) -> FastAPI:
    state = SandboxState(config=config, engine=make_engine(config.database_url))
    app = FastAPI(title="Netvisor sandbox", version="1")
    app.state.sandbox = state
    app.include_router(purchase_invoices)
    app.include_router(internal)
    app.include_router(controls)

    @app.exception_handler(NetvisorFailure)
    async def netvisor_failure(request: Request, failure: NetvisorFailure) -> Response:
        headers = {key.lower(): value for key, value in request.headers.items()}
        return failed_response(failure, use_http_status=wants_http_status(headers))

    # The last added runs first: overlaps are seen before injected latency, so latency widens the window.
    app.add_middleware(FaultsMiddleware, holder=state.faults)
    app.add_middleware(OneMessageAtATime)
    return app
