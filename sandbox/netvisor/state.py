"""What every handler of one sandbox instance shares: its config, database and current faults."""

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel
from starlette.requests import Request

from sandbox.netvisor.config import NetvisorSandboxConfig
from sandbox.netvisor.faults import FaultHolder
from sandbox.netvisor.tables import (
    InvoicingAddressRecord,
    PurchaseInvoiceAttachmentRecord,
    PurchaseInvoiceRecord,
    SalesInvoiceStatusRecord,
    ServiceBillingRecord,
    UsedTransaction,
)
from sandbox.sqlite import sandbox_engine

_TABLES = (
    PurchaseInvoiceRecord,
    PurchaseInvoiceAttachmentRecord,
    UsedTransaction,
    InvoicingAddressRecord,
    SalesInvoiceStatusRecord,
    ServiceBillingRecord,
)


def make_engine(database_url: str) -> Engine:
    engine = sandbox_engine(database_url)
    SQLModel.metadata.create_all(
        engine, tables=[SQLModel.metadata.tables[str(table.__tablename__)] for table in _TABLES]
    )
    return engine


@dataclass
class SandboxState:
    config: NetvisorSandboxConfig
    engine: Engine
    faults: FaultHolder = field(default_factory=FaultHolder)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def sandbox_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


SandboxStateDep = Annotated[SandboxState, Depends(sandbox_state)]
