"""What every route of one sandbox instance shares: config, database, webhook sender and injected faults."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from sandbox.maventa.config import MaventaSandboxConfig
from sandbox.maventa.faults import FaultInjector
from sandbox.maventa.webhooks import WebhookSender


@dataclass
class SandboxContext:
    config: MaventaSandboxConfig
    engine: Engine
    webhooks: WebhookSender
    faults: FaultInjector = field(default_factory=FaultInjector)


def get_context(request: Request) -> SandboxContext:
    context: SandboxContext = request.app.state.sandbox
    return context


async def get_session(context: Annotated[SandboxContext, Depends(get_context)]) -> AsyncIterator[Session]:
    """Runs on the event loop, like every route: all state changes happen on one thread, in order.

    Closed when the route returns, not after its answer is sent (`scope="function"`): sending awaits the
    client and the middlewares, and a session held across that kept a connection out of the pool for each
    answer on its way, more than the pool had once two workers called at once."""
    with Session(context.engine, expire_on_commit=False) as session:
        yield session


ContextDep = Annotated[SandboxContext, Depends(get_context)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
