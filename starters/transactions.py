"""A company's electronic transactions of a month and their price (R8): Netvisor's route and the support
console read the same. Amounts are decimals (the API writes them as strings, so no client reads a float)."""

import asyncio
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.pricing import PricedMonth, PriceList, load_price_list
from settings import Settings
from starters.connection import UnknownCompany
from store.billing_runs import get_billing_run
from store.companies import get_company
from store.database import Sessions, unit_of_work
from store.ledger import LEDGER_KINDS, count_by_kind


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


async def month_transactions(
    sessions: Sessions, price_list: PriceList, company_id: str, month: str
) -> MonthTransactions:
    """The company's priced transactions of a month; MonthNotPriced before the price list's first month,
    UnknownCompany for a company the service has never seen."""
    found = await asyncio.to_thread(_read_month, sessions, price_list, company_id, month)
    if found is None:
        raise UnknownCompany(f"company {company_id} is not known")
    return found
