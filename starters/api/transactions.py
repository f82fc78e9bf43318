"""A company's transactions of a month and their price (R8), and support's "run billing for a month now".

Amounts are decimal strings (e.g. "12.50") so no client reads them as binary floats.
"""

import asyncio
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from temporalio.client import Client

from domain.pricing import (
    InvalidMonth,
    MonthNotPriced,
    PricedMonth,
    PriceList,
    load_price_list,
    parse_month,
)
from settings import Settings
from starters.api.auth import netvisor_caller, support_caller
from starters.api.clock import Now
from starters.api.companies import CompanyId, unknown_company
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.support import store_sessions
from starters.api.temporal import temporal_client
from starters.billing import BillingRunStatus, BillingStatus, MonthNotOver, run_billing_now
from store.billing_runs import get_billing_run
from store.companies import get_company
from store.database import Sessions, unit_of_work
from store.ledger import LEDGER_KINDS, count_by_kind

router = APIRouter(tags=["billing"], responses=ERROR_RESPONSES)

MONTH_FORMAT = "a calendar month written YYYY-MM, e.g. 2025-04"


class KindTransactions(BaseModel):
    kind: str
    count: int
    product_code: str
    description: str
    tier_count: int = Field(description="The count that chose the price tier")
    unit_price: Decimal
    total: Decimal


class BilledRun(BaseModel):
    total: Decimal
    currency: str
    posted_at: datetime | None = Field(description="When Netvisor accepted the lines; null while in progress")


class MonthTransactions(BaseModel):
    company_id: str
    month: str
    currency: str
    price_list_effective_from: date
    kinds: list[KindTransactions]
    total_count: int
    total: Decimal = Field(description="The priced total, VAT excluded")
    billing: BilledRun | None = Field(description="The month's service billing, once it has started")


def price_list_at_start(settings: Settings) -> PriceList:
    """The configured price list (default the shipped sample); a broken one stops the API from starting."""
    price_list = load_price_list(settings.price_list_path)
    price_list.require_kinds(LEDGER_KINDS)
    return price_list


def _month(month: str, parameter: str) -> str:
    try:
        parse_month(month)
    except InvalidMonth:
        raise ApiError(422, "invalid_month", f"The {parameter} must be {MONTH_FORMAT}.") from None
    return month


def _read_month(
    sessions: Sessions, price_list: PriceList, company_id: str, month: str
) -> MonthTransactions | None:
    with unit_of_work(sessions) as session:
        counts = count_by_kind(session, company_id, month)
        if not counts and get_company(session, company_id) is None:
            return None
        run = get_billing_run(session, company_id, month)
    priced: PricedMonth = price_list.price(month, counts)
    return MonthTransactions(
        company_id=company_id,
        month=month,
        currency=priced.currency,
        price_list_effective_from=priced.price_list_effective_from,
        kinds=[
            KindTransactions(
                kind=line.kind,
                count=line.quantity,
                product_code=line.product_code,
                description=line.description,
                tier_count=line.tier_count,
                unit_price=line.unit_price,
                total=line.total,
            )
            for line in priced.lines
        ],
        total_count=sum(counts.values()),
        total=priced.total,
        billing=None
        if run is None
        else BilledRun(total=run.total, currency=run.currency, posted_at=run.posted_at),
    )


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
    return await month_transactions(sessions, request.app.state.price_list, company_id, month)


async def month_transactions(
    sessions: Sessions, price_list: PriceList, company_id: str, month: str
) -> MonthTransactions:
    """The company's priced transactions of a month (Netvisor's route and the support console)."""
    try:
        found = await asyncio.to_thread(_read_month, sessions, price_list, company_id, month)
    except MonthNotPriced as error:
        raise ApiError(
            422, "month_not_priced", f"{str(error).capitalize()}; ask for a later month."
        ) from None
    if found is None:
        raise unknown_company(company_id)
    return found


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
) -> BillingStatus:
    """Run the month's service billing now; a running or cleanly finished month answers its status instead."""
    status = await start_billing(client, request.app.state.settings, month, now)
    if status.status is BillingRunStatus.COMPLETED:
        response.status_code = 200
    return status


async def start_billing(
    client: Client, settings: Settings, month: str, now: datetime, parameter: str = "month in the path"
) -> BillingStatus:
    """Run a month's service billing now (support's route and the console)."""
    month = _month(month, parameter)
    try:
        return await run_billing_now(client, month, task_queue=settings.temporal_task_queue, now=now)
    except MonthNotOver as error:
        raise ApiError(422, "month_not_over", f"{error}.") from None
