"""Customer service's routes for companies' connections (§7): a company's status, check the bank network
now, retry a failed step, list companies by state or by needing support. The exception actions (decline,
send-only, release) are in starters/api/maventa_account.py.

Who asks is recorded in the workflow's history: the agent's id in the `X-Support-User` header (required on
the exception actions; retry and the bank check fall back to the body's `requested_by`)."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field
from temporalio.client import Client

from settings import Settings
from starters import connection
from starters.api.auth import support_caller
from starters.api.companies import (
    CompanyId,
    IdempotencyKey,
    answering_connection_errors,
    unavailable,
    unknown_company,
)
from starters.api.errors import ERROR_RESPONSES
from starters.api.temporal import temporal_client
from store.companies import list_companies
from store.database import Sessions, unit_of_work
from workflows.connection_models import AccountView, ActionAnswer, ReleaseSummary

router = APIRouter(
    prefix="/v1/support/companies",
    tags=["support"],
    dependencies=[Depends(support_caller)],
    responses=ERROR_RESPONSES,
)

TemporalClient = Annotated[Client, Depends(temporal_client)]
SUPPORT_USER_PATTERN = r"^[^\x00-\x1f]{1,200}$"
SupportUser = Annotated[
    str,
    Header(
        alias="X-Support-User",
        pattern=SUPPORT_USER_PATTERN,
        max_length=200,
        description="The customer-service agent asking; recorded in the workflow's history",
    ),
]
OptionalSupportUser = Annotated[
    str | None,
    Header(
        alias="X-Support-User", pattern=SUPPORT_USER_PATTERN, max_length=200, description="The agent asking"
    ),
]


class SupportActionBody(BaseModel):
    requested_by: str = Field("support", min_length=1, max_length=200, description="The agent asking")


class CompanyStatus(BaseModel):
    """What support sees of one company: its account view, or what releasing it did once it left."""

    company_id: str
    account: AccountView | None
    released: ReleaseSummary | None


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


def store_sessions(request: Request) -> Sessions:
    """The API's store sessions, opened on first use (the listing reads the companies projection)."""
    sessions: Sessions | None = getattr(request.app.state, "sessions", None)
    if sessions is None:
        settings: Settings = request.app.state.settings
        sessions = request.app.state.sessions = Sessions.for_url(settings.store_url)
    return sessions


SupportAction = Callable[[Client, str, str, str | None], Awaitable[ActionAnswer]]


async def act(
    action: SupportAction, client: Client, company_id: str, requested_by: str, request_id: str | None
) -> ActionAnswer:
    """Run a support action, answering 404/409/410/503 the same way for all of them."""
    with answering_connection_errors(company_id):
        return await action(client, company_id, requested_by, request_id)


@router.post("/{company_id}/bank-network/check")
async def check_bank_network(
    company_id: CompanyId,
    client: TemporalClient,
    body: SupportActionBody | None = None,
    idempotency_key: IdempotencyKey = None,
    support_user: OptionalSupportUser = None,
) -> ActionAnswer:
    """Ask Maventa about the company's bank network now; connects the company if the banks have confirmed."""
    requested_by = support_user or (body or SupportActionBody()).requested_by
    return await act(connection.check_bank_network_now, client, company_id, requested_by, idempotency_key)


@router.post("/{company_id}/retry")
async def retry(
    company_id: CompanyId,
    client: TemporalClient,
    body: SupportActionBody | None = None,
    idempotency_key: IdempotencyKey = None,
    support_user: OptionalSupportUser = None,
) -> ActionAnswer:
    """Run the step that failed for good again (after fixing its cause); the answer says how it went."""
    requested_by = support_user or (body or SupportActionBody()).requested_by
    return await act(connection.retry, client, company_id, requested_by, idempotency_key)


@router.get("/{company_id}")
async def company_status(company_id: CompanyId, client: TemporalClient) -> CompanyStatus:
    """The company's account view (state, why it needs support, networks, import, recent actions with who
    asked); for a released company, what releasing it did."""
    try:
        view = await connection.account(client, company_id)
    except connection.UnknownCompany:
        raise unknown_company(company_id) from None
    except connection.CompanyReleased as error:
        return CompanyStatus(company_id=company_id, account=None, released=error.summary)
    except connection.ConnectionUnavailable as error:
        raise unavailable(error) from None
    return CompanyStatus(company_id=company_id, account=view, released=None)


@router.get("")
async def list_support_companies(
    sessions: Annotated[Sessions, Depends(store_sessions)],
    state: Annotated[
        str | None, Query(pattern=r"^[A-Z_]{1,32}$", max_length=32, description="e.g. RECEIVING")
    ] = None,
    needs_support: bool | None = None,
    after: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CompanyList:
    """Companies by state and/or needing support, from the projection each workflow keeps up to date."""

    def read() -> list[CompanySummary]:
        with unit_of_work(sessions) as session:
            rows = list_companies(session, state=state, needs_support=needs_support, after=after, limit=limit)
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
    next_after = companies[-1].company_id if len(companies) == limit else None
    return CompanyList(companies=companies, next_after=next_after)
