"""Finding companies for customer service (the support API's listing and the console's search).

One text names a company by any of its identifiers: Netvisor's company id, the business id (any way it is
written), the Maventa company id, or its e-invoice address (an OVT code holds the business id). Filters narrow
by state, by needing support, or by a bank network that is overdue. Pages follow the company id.
"""

import asyncio
from datetime import datetime

from pydantic import BaseModel, Field

from domain.identifiers import InvalidIdentifier, business_id_of_ovt, normalise_business_id
from store.companies import Identifies, list_companies
from store.database import Sessions, unit_of_work
from workflows.connection_models import BANK_NETWORK_OVERDUE_REASON
from workflows.connection_policy import NEEDS_SUPPORT_STATE, ConnectionStatus

PAGE_SIZE = 50


class CompanyQuery(BaseModel):
    text: str | None = Field(None, max_length=100)
    state: str | None = Field(None, pattern=r"^[A-Z_]{1,32}$", max_length=32)
    needs_support: bool | None = None
    bank_network_overdue: bool = False
    after: str | None = Field(None, max_length=64)
    limit: int = Field(PAGE_SIZE, ge=1, le=500)


class CompanySummary(BaseModel):
    company_id: str
    business_id: str
    name: str
    state: str
    needs_support: bool
    needs_support_reason: str | None
    maventa_company_id: str | None
    import_mode: str
    updated_at: datetime


class CompanyList(BaseModel):
    companies: list[CompanySummary]
    next_after: str | None = Field(description="Pass as `after` for the next page; null on the last page")


STATES = [status.value for status in ConnectionStatus] + [NEEDS_SUPPORT_STATE]
"""Every state a company is shown in."""


def identifies(text: str) -> Identifies:
    """What a searched text may be: the same text as an id, and a business id if it reads as one (written
    1234567-8, 12345678 or FI12345678, or inside an OVT e-invoice address such as 003712345678)."""
    text = text.strip()
    business_id = None
    for reading in (normalise_business_id, business_id_of_ovt):
        try:
            business_id = reading(text)
            break
        except InvalidIdentifier:
            continue
    return Identifies(company_id=text, business_id=business_id, maventa_company_uuid=text.lower())


async def find_companies(sessions: Sessions, query: CompanyQuery) -> CompanyList:
    """A page of the companies the query names, from the projection each workflow keeps up to date."""

    def read() -> list[CompanySummary]:
        with unit_of_work(sessions) as session:
            rows = list_companies(
                session,
                state=query.state,
                needs_support=query.needs_support,
                reason_starts=BANK_NETWORK_OVERDUE_REASON if query.bank_network_overdue else None,
                identifies=identifies(query.text) if query.text and query.text.strip() else None,
                after=query.after,
                limit=query.limit,
            )
            return [
                CompanySummary(
                    company_id=row.company_id,
                    business_id=row.business_id,
                    name=row.name,
                    state=row.state,
                    needs_support=row.needs_support,
                    needs_support_reason=row.needs_support_reason,
                    maventa_company_id=row.maventa_company_uuid,
                    import_mode=row.import_mode,
                    updated_at=row.updated_at,
                )
                for row in rows
            ]

    companies = await asyncio.to_thread(read)
    next_after = companies[-1].company_id if len(companies) == query.limit else None
    return CompanyList(companies=companies, next_after=next_after)
