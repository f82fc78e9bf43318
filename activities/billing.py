"""Monthly service billing (R8): price a company's month from the ledger and post it to Netvisor once.

Exactly once, whatever retries: the run is recorded (company + month, with its total) before Netvisor is
called, Netvisor's service billing is idempotent per organisation and month, and a run marked posted is never
sent again. A crash between posting and marking only makes the retry post the same lines again, which
Netvisor answers as already done.
"""

import asyncio
from dataclasses import dataclass

from temporalio import activity
from temporalio.exceptions import ApplicationError

from clients.netvisor import NetvisorClient, NetvisorRejected, NetvisorUnavailable
from clients.netvisor_models import ServiceBillingLine
from domain.identifiers import InvalidIdentifier, normalise_business_id
from domain.pricing import MonthNotPriced, PricedMonth, PriceList
from store.billing_runs import get_billing_run, mark_posted, start_billing_run
from store.companies import get_company
from store.database import Sessions, unit_of_work
from store.ledger import (
    LEDGER_KINDS,
    companies_with_transactions,
    count_by_kind,
)
from workflows.billing_models import (
    BillingOutcome,
    CompanyBilled,
    CompanyPage,
    CompanyPageRequest,
    CompanyToBill,
)


@dataclass(frozen=True)
class _ToPost:
    """A started, unposted run: where to post and what."""

    organisation_id: str
    priced: PricedMonth


def _refuse(message: str, kind: str) -> ApplicationError:
    """A failure a retry cannot fix: the workflow reports it for this company and moves on."""
    return ApplicationError(message, type=kind, non_retryable=True)


def billing_lines(priced: PricedMonth) -> list[ServiceBillingLine]:
    """Netvisor's lines for a priced month; the same month priced the same way gives the same lines."""
    return [
        ServiceBillingLine(
            product_code=line.product_code,
            description=f"{line.description} {priced.month}",
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line in priced.billed_lines()
    ]


class BillingActivities:
    def __init__(self, netvisor: NetvisorClient, sessions: Sessions, price_list: PriceList) -> None:
        price_list.require_kinds(LEDGER_KINDS)
        self._netvisor = netvisor
        self._sessions = sessions
        self._price_list = price_list

    @activity.defn
    async def companies_to_bill(self, request: CompanyPageRequest) -> CompanyPage:
        """The next page of companies with transactions in the month, in company-id order."""
        company_ids = await asyncio.to_thread(self._page, request)
        return CompanyPage(company_ids=company_ids)

    @activity.defn
    async def bill_company(self, company: CompanyToBill) -> CompanyBilled:
        """Post the company's priced month to Netvisor unless an earlier run already did."""
        prepared = await asyncio.to_thread(self._prepare, company)
        if isinstance(prepared, CompanyBilled):
            return prepared
        priced = prepared.priced
        try:
            await self._netvisor.post_service_billing(
                prepared.organisation_id, company.month, billing_lines(priced)
            )
        except NetvisorRejected as error:
            raise _refuse(
                f"Netvisor refused the service billing of {company.month}: {error}", "NetvisorRejected"
            ) from None
        except NetvisorUnavailable as error:
            raise ApplicationError(
                f"Netvisor was unavailable for the service billing of {company.month}: {error}",
                type="NetvisorUnavailable",
            ) from None
        posted_now = await asyncio.to_thread(self._mark_posted, company)
        activity.logger.info(
            "service billing posted",
            extra={"company_id": company.company_id, "month": company.month, "total": str(priced.total)},
        )
        return CompanyBilled(
            company_id=company.company_id,
            outcome=BillingOutcome.POSTED if posted_now else BillingOutcome.ALREADY_POSTED,
            total=priced.total,
            currency=priced.currency,
        )

    def _page(self, request: CompanyPageRequest) -> list[str]:
        with unit_of_work(self._sessions) as session:
            return companies_with_transactions(
                session, request.month, after=request.after, limit=request.limit
            )

    def _prepare(self, company: CompanyToBill) -> CompanyBilled | _ToPost:
        """Already billed (nothing to send), or the run started with the priced month to post."""
        company_id, month = company.company_id, company.month
        with unit_of_work(self._sessions) as session:
            run = get_billing_run(session, company_id, month)
            if run is not None and run.posted_at is not None:
                return CompanyBilled(
                    company_id=company_id,
                    outcome=BillingOutcome.ALREADY_POSTED,
                    total=run.total,
                    currency=run.currency,
                )
            projection = get_company(session, company_id)
            if projection is None or not projection.business_id:
                raise _refuse(
                    f"company {company_id} has no business id in the service, so its Netvisor organisation "
                    "is unknown; Netvisor must report the company (PUT /v1/companies/{id}) first",
                    "UnknownOrganisation",
                )
            try:
                organisation_id = normalise_business_id(projection.business_id)
            except InvalidIdentifier as error:
                raise _refuse(f"company {company_id}: {error}", "UnknownOrganisation") from None
            try:
                priced = self._price_list.price(month, count_by_kind(session, company_id, month))
            except MonthNotPriced as error:
                raise _refuse(f"company {company_id}: {error}", "MonthNotPriced") from None
            run = start_billing_run(session, company_id, month, priced.total, priced.currency)
            if (run.total, run.currency) != (priced.total, priced.currency):
                raise _refuse(
                    f"company {company_id}'s {month} was recorded at {run.total} {run.currency} when its "
                    f"billing started but prices at {priced.total} {priced.currency} now (the ledger or the "
                    "price list changed); nothing was posted this time, support must settle it",
                    "BillingChanged",
                )
        return _ToPost(organisation_id=organisation_id, priced=priced)

    def _mark_posted(self, company: CompanyToBill) -> bool:
        with unit_of_work(self._sessions) as session:
            return mark_posted(session, company.company_id, company.month)
