"""Customer service's routes for companies' connections (§7): a company's status, check the bank network
now, retry a failed step, list companies by state or by needing support. The exception actions (decline,
send-only, release) are in starters/api/maventa_account.py.

Who asks is recorded in the workflow's history: the agent's id in the `X-Support-User` header (required on
the exception actions; retry and the bank check also take the older body field `requested_by`, and refuse
a call that names nobody)."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel, Field
from temporalio.client import Client

from starters import connection
from starters.api.auth import support_caller
from starters.api.companies import (
    CompanyId,
    IdempotencyKey,
    answering_connection_errors,
    unavailable,
    unknown_company,
)
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.store import store_sessions
from starters.api.temporal import temporal_client
from starters.company_search import CompanyList, CompanyQuery, find_companies
from store.database import Sessions
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
    requested_by: str | None = Field(
        None, min_length=1, max_length=200, description="The agent asking; the X-Support-User header wins"
    )


class CompanyStatus(BaseModel):
    """What support sees of one company: its account view, or what releasing it did once it left."""

    company_id: str
    account: AccountView | None
    released: ReleaseSummary | None


SupportAction = Callable[[Client, str, str, str | None], Awaitable[ActionAnswer]]


NOBODY_ASKED = (
    "Say who asks: send the agent's id in the X-Support-User header (the CLI sends --support-user, the "
    "console the signed-in agent); every support action is recorded with it. Nothing was done."
)


async def who_asks(body: SupportActionBody | None = None, support_user: OptionalSupportUser = None) -> str:
    """The agent asking: the X-Support-User header, else the body's requested_by; a 422 if neither."""
    asker = support_user or (body.requested_by if body is not None else None)
    if asker is None:
        raise ApiError(422, "support_user_required", NOBODY_ASKED)
    return asker


Asker = Annotated[str, Depends(who_asks)]


async def act(
    action: SupportAction, client: Client, company_id: str, requested_by: str, request_id: str | None
) -> ActionAnswer:
    """Run a support action, answering 404/409/410/503 the same way for all of them."""
    with answering_connection_errors(company_id):
        return await action(client, company_id, requested_by, request_id)


@router.post("/{company_id}/bank-network/check")
async def check_bank_network(
    company_id: CompanyId, client: TemporalClient, requested_by: Asker, idempotency_key: IdempotencyKey = None
) -> ActionAnswer:
    """Ask Maventa about the company's bank network now; connects the company if the banks have confirmed."""
    return await act(connection.check_bank_network_now, client, company_id, requested_by, idempotency_key)


@router.post("/{company_id}/retry")
async def retry(
    company_id: CompanyId, client: TemporalClient, requested_by: Asker, idempotency_key: IdempotencyKey = None
) -> ActionAnswer:
    """Run the step that failed for good again (after fixing its cause); the answer says how it went."""
    return await act(connection.retry, client, company_id, requested_by, idempotency_key)


@router.get("/{company_id}")
async def company_status(company_id: CompanyId, client: TemporalClient) -> CompanyStatus:
    """The company's account view (state, why it needs support, networks, import, recent actions with who
    asked); for a released company, what releasing it did."""
    return await support_status(client, company_id)


async def support_status(client: Client, company_id: str) -> CompanyStatus:
    """What support sees of a company (the route and the console)."""
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
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Netvisor company id, business id, Maventa company id or e-invoice address",
        ),
    ] = None,
    state: Annotated[
        str | None, Query(pattern=r"^[A-Z_]{1,32}$", max_length=32, description="e.g. RECEIVING")
    ] = None,
    needs_support: bool | None = None,
    bank_network_overdue: Annotated[
        bool, Query(description="Only companies whose banks have not confirmed by the deadline")
    ] = False,
    after: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CompanyList:
    """Companies by identifier, state, needing support or an overdue bank network, from the projection each
    workflow keeps up to date."""
    query = CompanyQuery(
        text=q,
        state=state,
        needs_support=needs_support,
        bank_network_overdue=bank_network_overdue,
        after=after,
        limit=limit,
    )
    return await find_companies(sessions, query)
