"""Injected faults on Netvisor's resources (never on /_sandbox): latency, error statuses and dropped answers.

A dropped answer commits the request and then closes the connection without a byte of response: the caller
cannot know whether the change happened, which is exactly the case the service must handle.
"""

import asyncio
import random

from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Faults(BaseModel):
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    status: int = Field(503, ge=400, le=599)
    latency_ms: int = Field(0, ge=0, le=600_000)
    drop_response_rate: float = Field(0.0, ge=0.0, le=1.0)
    authentication_failed_organisations: list[str] = Field(
        default_factory=list, description="Organisations whose requests answer AUTHENTICATION_FAILED"
    )


class FaultHolder:
    """The current faults, shared by the control endpoints and the middleware."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.random = random.Random()

    def roll(self, rate: float) -> bool:
        return rate > 0 and self.random.random() < rate


def is_netvisor_resource(scope: Scope) -> bool:
    return scope["type"] == "http" and not scope["path"].startswith("/_sandbox")


async def _discard(message: Message) -> None:
    return None


class FaultsMiddleware:
    def __init__(self, app: ASGIApp, holder: FaultHolder) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_netvisor_resource(scope):
            await self.app(scope, receive, send)
            return
        faults = self.holder.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if self.holder.roll(faults.error_rate):
            page = f"<html><body><h1>{faults.status} injected by the sandbox</h1></body></html>"
            await HTMLResponse(page, status_code=faults.status)(scope, receive, send)
            return
        if not self.holder.roll(faults.drop_response_rate):
            await self.app(scope, receive, send)
            return
        await self._commit_then_drop(scope, receive)

    async def _commit_then_drop(self, scope: Scope, receive: Receive) -> None:
        # uvicorn's receive is a bound method of the request cycle, which holds the connection's transport.
        transport = getattr(getattr(receive, "__self__", None), "transport", None)
        if transport is None:
            raise RuntimeError("dropping an answer needs the uvicorn server the sandbox ships with")
        await self.app(scope, receive, _discard)
        transport.abort()
        # Let uvicorn see the connection lost before the request cycle ends, so it writes nothing more.
        await asyncio.sleep(0)
        await asyncio.sleep(0)
