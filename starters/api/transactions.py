"""A company's transactions of a month and their price (R8), and support's "run billing for a month now".

Amounts are decimal strings (e.g. "12.50") so no client reads them as binary floats.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from temporalio.client import Client

from domain.pricing import (
    InvalidMonth,
    MonthNotPriced,
    parse_month,
)
from settings import Settings
from starters.api.auth import netvisor_caller, support_caller
from starters.api.clock import Now
from starters.api.companies import CompanyId, unknown_company
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.store import store_sessions
from starters.api.support import SupportUser
from starters.api.temporal import temporal_client
from starters.billing import BillingRunStatus, BillingStatus, MonthNotOver, run_billing_now
from starters.connection import UnknownCompany
from starters.transactions import MonthTransactions, month_transactions
from store.database import Sessions

router = APIRouter(tags=["billing"], responses=ERROR_RESPONSES)

MONTH_FORMAT = "a calendar month written YYYY-MM, e.g. 2025-04"


def _month(month: str, parameter: str) -> str:
    try:
        parse_month(month)
    except InvalidMonth:
        raise ApiError(422, "invalid_month", f"The {parameter} must be {MONTH_FORMAT}.") from None
    return month


@router.get(
    "/v1/companies/{company_id}/transactions",
    dependencies=[Depends(netvisor_caller)],
    responses={404: {"description": "Unknown company"}, 422: {"description": "Bad or unpriced month"}},
)
async def company_transactions(
    company_id: CompanyId,
    month: Annotated[str, Query(max_length=7, description="YYYY-MM")],
    request: Request,
    sessions: Annotated[Sessions, Depends(store_sessions)],
) -> MonthTransactions:
    """Counts by kind of transaction, their unit prices and line totals, and the month's priced total."""
    month = _month(month, "month query parameter")
    try:
        return await month_transactions(sessions, request.app.state.price_list, company_id, month)
    except MonthNotPriced as error:
        raise ApiError(
            422, "month_not_priced", f"{str(error).capitalize()}; ask for a later month."
        ) from None
    except UnknownCompany:
        raise unknown_company(company_id) from None


@router.post(
    "/v1/support/billing/{month}",
    dependencies=[Depends(support_caller)],
    status_code=202,
    responses={200: {"description": "Already billed without failures; nothing started"}},
)
async def run_billing(
    month: Annotated[str, Path(max_length=7, description="YYYY-MM")],
    request: Request,
    response: Response,
    client: Annotated[Client, Depends(temporal_client)],
    now: Now,
    requested_by: SupportUser,
) -> BillingStatus:
    """Run the month's service billing now; a running or cleanly finished month answers its status instead.
    A run started here records the agent of `X-Support-User`."""
    status = await start_billing(client, request.app.state.settings, month, now, requested_by)
    if status.status is BillingRunStatus.COMPLETED:
        response.status_code = 200
    return status


async def start_billing(
    client: Client,
    settings: Settings,
    month: str,
    now: datetime,
    requested_by: str,
    parameter: str = "month in the path",
) -> BillingStatus:
    """Run a month's service billing now (support's route and the console), recording who asked."""
    month = _month(month, parameter)
    try:
        return await run_billing_now(
            client, month, task_queue=settings.temporal_task_queue, requested_by=requested_by, now=now
        )
    except MonthNotOver as error:
        raise ApiError(422, "month_not_over", f"{error}.") from None
