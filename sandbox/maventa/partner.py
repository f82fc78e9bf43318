"""The partner-wide queue of received-invoice events across every company linked to the vendor key.

`GET /v1/partner/invoice_events/received?state=` with per_page default 100 (docs/facts/maventa.md §2.3);
that it spans all linked companies is an inference (docs/facts/maventa.md §2.3), kept here.
"""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlmodel import col, select

from sandbox.maventa.context import SessionDep
from sandbox.maventa.errors import invalid
from sandbox.maventa.pagination import page_of, paged_response
from sandbox.maventa.tables import Company, InvoiceEvent
from sandbox.maventa.tokens import PrincipalDep, require_partner
from sandbox.maventa.views import event_view

router = APIRouter()


@router.get("/v1/partner/invoice_events/received")
async def received_events(
    who: PrincipalDep, session: SessionDep, state: str = "CREATED", page: int = 1, per_page: int = 100
) -> JSONResponse:
    vendor = require_partner(who, session)
    if state not in ("CREATED", "HANDLED"):
        raise invalid("state must be CREATED or HANDLED")
    query = (
        select(InvoiceEvent)
        .join(Company, col(Company.id) == col(InvoiceEvent.company_id))
        .where(Company.vendor_key_digest == vendor, InvoiceEvent.state == state)
        .order_by(col(InvoiceEvent.created_at), col(InvoiceEvent.id))
    )
    events, total = page_of(session, query, page, per_page)
    return paged_response([event_view(e) for e in events], total, page, per_page)
