"""The billing activities against the store (SQLite and PostgreSQL) and the Netvisor sandbox over real HTTP.

Also the kit the billing workflow and API tests share: a test price list, the sandbox, seeding the ledger.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.billing import BillingActivities
from clients.netvisor import NetvisorClient
from domain.pricing import PriceList, PriceListError, parse_price_list
from sandbox.netvisor import create_app
from store.billing_runs import get_billing_run
from store.companies import CompanyChanges, upsert_company
from store.database import Sessions, unit_of_work
from store.ledger import RECEIVED_EINVOICE, RECEIVED_SCANNED_INVOICE, SENT_EINVOICE, record_transaction
from tests.sandbox.netvisor.serving import (
    CUSTOMER_ID,
    CUSTOMER_KEY,
    PARTNER_ID,
    PARTNER_KEY,
    business_id,
    sandbox_config,
    serve,
)
from tests.store.conftest import sessions, store_url
from workflows.billing_models import BillingOutcome, CompanyPageRequest, CompanyToBill

__all__ = ["sessions", "store_url"]

PRICES = """
title = "Test prices"

[[version]]
effective_from = 2000-01-01
currency = "EUR"

[version.kinds.received_einvoice]
product_code = "IN"
description = "Received e-invoices"
tiers = [{ up_to = 2, unit_price = 1.00 }, { unit_price = 0.50 }]

[version.kinds.received_scanned_invoice]
product_code = "SCAN"
description = "Scanned invoices"
tiers = [{ unit_price = 2.00 }]

[version.kinds.sent_einvoice]
product_code = "OUT"
description = "Sent e-invoices"
tier_basis = "kind"
tiers = [{ up_to = 2, unit_price = 0.40 }, { unit_price = 0.30 }]
"""
MONTH = "2024-05"


def billing_prices() -> PriceList:
    return parse_price_list(PRICES, "test prices")


@dataclass
class NetvisorSandbox:
    url: str
    controls: httpx.AsyncClient
    client: NetvisorClient

    async def billed(self, month: str) -> dict[str, list[dict[str, Any]]]:
        """Every service-billing line set Netvisor holds for the month, by organisation."""
        answer = await self.controls.get("/service-billing", params={"month": month})
        answer.raise_for_status()
        sets: dict[str, list[dict[str, Any]]] = {}
        for billing in answer.json():
            sets.setdefault(billing["organisation_id"], []).append(billing)
        return sets

    async def fail_authentication_for(self, *organisations: str) -> None:
        faults = {"authentication_failed_organisations": list(organisations)}
        (await self.controls.put("/faults", json=faults)).raise_for_status()

    async def drop_responses(self) -> None:
        (await self.controls.put("/faults", json={"drop_response_rate": 1.0})).raise_for_status()

    async def heal(self) -> None:
        (await self.controls.delete("/faults")).raise_for_status()


@pytest_asyncio.fixture(loop_scope="session")
async def netvisor_sandbox() -> AsyncIterator[NetvisorSandbox]:
    async with (
        serve(create_app(sandbox_config())) as url,
        httpx.AsyncClient(base_url=f"{url}/_sandbox", timeout=10) as controls,
    ):
        client = NetvisorClient(
            url,
            sender="billing tests",
            partner_id=PARTNER_ID,
            partner_key=SecretStr(PARTNER_KEY),
            customer_id=CUSTOMER_ID,
            customer_key=SecretStr(CUSTOMER_KEY),
            timeout_s=5.0,
        )
        yield NetvisorSandbox(url=url, controls=controls, client=client)
        await client.aclose()


def seed(
    sessions: Sessions, company_id: str, month: str, counts: dict[str, int], *, business: str = ""
) -> str:
    """A company (a fresh business id unless given) and its month's transactions; returns the business id."""
    business = business or business_id()
    year, number = (int(part) for part in month.split("-"))
    with unit_of_work(sessions) as session:
        upsert_company(
            session, company_id, CompanyChanges(business_id=business, name=f"Company {company_id}")
        )
        for kind, count in counts.items():
            for index in range(count):
                occurred = datetime(year, number, 15, 12, 0, tzinfo=UTC)
                record_transaction(session, company_id, kind, f"{company_id}-{kind}-{index}", occurred)
    return business


@pytest.fixture
def activities(sessions: Sessions, netvisor_sandbox: NetvisorSandbox) -> BillingActivities:
    return BillingActivities(netvisor_sandbox.client, sessions, billing_prices())


async def _bill(activities: BillingActivities, company_id: str, month: str = MONTH) -> Any:
    return await ActivityEnvironment().run(
        activities.bill_company, CompanyToBill(month=month, company_id=company_id)
    )


async def test_billing_a_company_twice_posts_one_line_set(
    activities: BillingActivities, sessions: Sessions, netvisor_sandbox: NetvisorSandbox
) -> None:
    organisation = seed(
        sessions, "c-1", MONTH, {RECEIVED_EINVOICE: 2, RECEIVED_SCANNED_INVOICE: 1, SENT_EINVOICE: 3}
    )

    first = await _bill(activities, "c-1")
    second = await _bill(activities, "c-1")

    # 6 transactions in all: received e-invoices are past their edge of 2 (0.50 each); sent ones are tiered by
    # their own 3 (0.30 each); scanned ones have one price.
    assert (first.outcome, first.total, first.currency) == (BillingOutcome.POSTED, Decimal("3.90"), "EUR")
    assert (second.outcome, second.total) == (BillingOutcome.ALREADY_POSTED, Decimal("3.90"))
    [billing] = (await netvisor_sandbox.billed(MONTH))[organisation]
    assert [
        (line["product_code"], line["quantity"], Decimal(line["unit_price"])) for line in billing["lines"]
    ] == [
        ("IN", 2, Decimal("0.50")),
        ("SCAN", 1, Decimal("2.00")),
        ("OUT", 3, Decimal("0.30")),
    ]
    assert billing["lines"][0]["description"] == f"Received e-invoices {MONTH}"
    assert Decimal(billing["total"]) == Decimal("3.90")
    with unit_of_work(sessions) as session:
        run = get_billing_run(session, "c-1", MONTH)
        assert run is not None and run.posted_at is not None and run.total == Decimal("3.90")


async def test_a_retry_after_an_unanswered_post_does_not_bill_twice(
    activities: BillingActivities, sessions: Sessions, netvisor_sandbox: NetvisorSandbox
) -> None:
    organisation = seed(sessions, "c-2", MONTH, {SENT_EINVOICE: 1})
    await netvisor_sandbox.drop_responses()
    try:
        with pytest.raises(ApplicationError) as unanswered:
            await _bill(activities, "c-2")
    finally:
        await netvisor_sandbox.heal()
    assert not unanswered.value.non_retryable  # Temporal retries it...
    assert len((await netvisor_sandbox.billed(MONTH))[organisation]) == 1  # ...though Netvisor has the lines

    retried = await _bill(activities, "c-2")

    assert retried.outcome is BillingOutcome.POSTED
    assert len((await netvisor_sandbox.billed(MONTH))[organisation]) == 1
    with unit_of_work(sessions) as session:
        run = get_billing_run(session, "c-2", MONTH)
        assert run is not None and run.posted_at is not None


async def test_a_refused_organisation_fails_for_good_and_bills_once_fixed(
    activities: BillingActivities, sessions: Sessions, netvisor_sandbox: NetvisorSandbox
) -> None:
    organisation = seed(sessions, "c-3", MONTH, {RECEIVED_EINVOICE: 1})
    await netvisor_sandbox.fail_authentication_for(organisation)
    try:
        with pytest.raises(ApplicationError) as refused:
            await _bill(activities, "c-3")
    finally:
        await netvisor_sandbox.heal()
    assert refused.value.non_retryable and refused.value.type == "NetvisorRejected"
    assert "AUTHENTICATION_FAILED" in refused.value.message and MONTH in refused.value.message
    assert organisation not in await netvisor_sandbox.billed(MONTH)

    assert (await _bill(activities, "c-3")).outcome is BillingOutcome.POSTED
    assert len((await netvisor_sandbox.billed(MONTH))[organisation]) == 1


async def test_a_company_without_a_business_id_is_refused_and_nothing_is_posted(
    activities: BillingActivities, sessions: Sessions, netvisor_sandbox: NetvisorSandbox
) -> None:
    with unit_of_work(sessions) as session:
        record_transaction(session, "c-ghost", SENT_EINVOICE, "ghost-1", datetime(2024, 5, 2, tzinfo=UTC))

    with pytest.raises(ApplicationError) as refused:
        await _bill(activities, "c-ghost")

    assert refused.value.non_retryable and refused.value.type == "UnknownOrganisation"
    assert "c-ghost" in refused.value.message
    with unit_of_work(sessions) as session:
        assert get_billing_run(session, "c-ghost", MONTH) is None


async def test_a_month_whose_price_changed_after_its_run_started_is_refused(
    sessions: Sessions, netvisor_sandbox: NetvisorSandbox
) -> None:
    organisation = seed(sessions, "c-4", MONTH, {RECEIVED_EINVOICE: 1})
    await netvisor_sandbox.fail_authentication_for(organisation)
    try:
        with pytest.raises(ApplicationError):
            await _bill(BillingActivities(netvisor_sandbox.client, sessions, billing_prices()), "c-4")
    finally:
        await netvisor_sandbox.heal()
    repriced = parse_price_list(PRICES.replace("unit_price = 1.00", "unit_price = 1.10"))

    with pytest.raises(ApplicationError) as refused:
        await _bill(BillingActivities(netvisor_sandbox.client, sessions, repriced), "c-4")

    assert refused.value.type == "BillingChanged" and "1.00 EUR" in refused.value.message
    assert organisation not in await netvisor_sandbox.billed(MONTH)


async def test_companies_come_in_pages_of_those_with_transactions_in_the_month(
    activities: BillingActivities, sessions: Sessions
) -> None:
    for company_id in ("p-1", "p-2", "p-3"):
        seed(sessions, company_id, MONTH, {SENT_EINVOICE: 1})
    seed(sessions, "p-other-month", "2024-06", {SENT_EINVOICE: 1})
    environment = ActivityEnvironment()

    first = await environment.run(activities.companies_to_bill, CompanyPageRequest(month=MONTH, limit=2))
    rest = await environment.run(
        activities.companies_to_bill, CompanyPageRequest(month=MONTH, after="p-2", limit=2)
    )

    assert (first.company_ids, rest.company_ids) == (["p-1", "p-2"], ["p-3"])


def test_a_price_list_without_a_ledger_kind_stops_the_worker_at_start(
    sessions: Sessions, netvisor_sandbox: NetvisorSandbox
) -> None:
    start = PRICES.index("[version.kinds.received_scanned_invoice]")
    end = PRICES.index("[version.kinds.sent_einvoice]")
    without_scans = parse_price_list(PRICES[:start] + PRICES[end:])

    with pytest.raises(PriceListError, match="has no price for received_scanned_invoice"):
        BillingActivities(netvisor_sandbox.client, sessions, without_scans)
