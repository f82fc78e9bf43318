"""The billing routes as Netvisor and support call them: the API under uvicorn, the dev server, a worker, the
store on SQLite and PostgreSQL, and Netvisor's sandbox over real HTTP."""

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.billing import BillingActivities
from security.converter import data_converter
from settings import Settings
from starters.api.app import create_app
from store.database import Sessions
from store.ledger import RECEIVED_EINVOICE, SENT_EINVOICE
from tests.activities.test_billing import (
    PRICES,
    NetvisorSandbox,
    billing_prices,
    netvisor_sandbox,
    seed,
    sessions,
    store_url,
)
from tests.clock import billing_month_now
from tests.starters.api.conftest import serving
from workers.keep_alive import KeepAliveInterceptor
from workflows.billing import BillingWorkflow, MonthlyBillingWorkflow, workflow_id
from workflows.billing_models import BillingState

__all__ = ["netvisor_sandbox", "sessions", "store_url"]

NETVISOR = {"Authorization": "Bearer test-netvisor-token"}
SUPPORT = {"Authorization": "Bearer test-support-token", "X-Support-User": "agent.anna"}
_months = itertools.count()


def fresh_month() -> str:
    """A past month no other test of this session bills (2011-01 onwards; the workflow tests use 2001-)."""
    number = next(_months)
    return f"{2011 + number // 12}-{number % 12 + 1:02d}"


@dataclass
class Api:
    http: httpx.AsyncClient
    client: Client
    """Temporal, with the same converter as the API and the worker."""


@pytest_asyncio.fixture(loop_scope="session")
async def api(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    store_url: str,
    sessions: Sessions,
    netvisor_sandbox: NetvisorSandbox,
) -> AsyncIterator[Api]:
    prices = tmp_path / "prices.toml"
    prices.write_text(PRICES)
    settings = Settings(
        data_dir=tmp_path,
        price_list_path=prices,
        database_url=store_url,
        temporal_address=temporal_env.client.service_client.config.target_host,
        temporal_task_queue=task_queue,
        api_netvisor_token="test-netvisor-token",
        api_support_token="test-support-token",
    )
    config = temporal_env.client.config()
    config["data_converter"] = data_converter(settings)
    client = Client(**config)
    activities = BillingActivities(netvisor_sandbox.client, sessions, billing_prices())
    async with (
        Worker(
            client,
            task_queue=task_queue,
            workflows=[BillingWorkflow, MonthlyBillingWorkflow],
            activities=[activities.companies_to_bill, activities.bill_company],
            interceptors=[KeepAliveInterceptor()],
        ),
        serving(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as http,
    ):
        yield Api(http=http, client=client)


async def _finished(api: Api, month: str) -> BillingState:
    return await api.client.get_workflow_handle_for(BillingWorkflow.run, workflow_id(month)).result()


async def test_a_months_transactions_are_counted_and_priced_by_kind(api: Api, sessions: Sessions) -> None:
    month = fresh_month()
    seed(sessions, "t-1", month, {RECEIVED_EINVOICE: 2, SENT_EINVOICE: 3})

    answer = await api.http.get("/v1/companies/t-1/transactions", params={"month": month}, headers=NETVISOR)

    assert answer.status_code == 200
    body = answer.json()
    assert (body["company_id"], body["month"], body["currency"]) == ("t-1", month, "EUR")
    assert body["price_list_effective_from"] == "2000-01-01"
    kinds = {kind["kind"]: kind for kind in body["kinds"]}
    # 5 in all: received e-invoices are past their edge of 2 (0.50); sent ones tier on their own 3 (0.30).
    assert (kinds["received_einvoice"]["count"], kinds["received_einvoice"]["tier_count"]) == (2, 5)
    assert Decimal(kinds["received_einvoice"]["unit_price"]) == Decimal("0.50")
    assert Decimal(kinds["received_einvoice"]["total"]) == Decimal("1.00")
    assert (kinds["sent_einvoice"]["count"], Decimal(kinds["sent_einvoice"]["total"])) == (3, Decimal("0.90"))
    assert (kinds["received_scanned_invoice"]["count"], kinds["received_scanned_invoice"]["total"]) == (
        0,
        "0.00",
    )
    assert (body["total_count"], body["total"], body["billing"]) == (5, "1.90", None)


@pytest.mark.parametrize("month", ["2024-13", "2024-5", "May"])
async def test_a_bad_month_is_422_naming_the_month(api: Api, month: str) -> None:
    answer = await api.http.get("/v1/companies/t-1/transactions", params={"month": month}, headers=NETVISOR)

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_month" and "month query parameter" in error["message"]
    assert "YYYY-MM" in error["message"]


async def test_unknown_companies_unpriced_months_and_wrong_tokens_are_refused(
    api: Api, sessions: Sessions
) -> None:
    seed(sessions, "t-2", "2024-05", {SENT_EINVOICE: 1})
    http = api.http

    unknown = await http.get(
        "/v1/companies/nobody/transactions", params={"month": "2024-05"}, headers=NETVISOR
    )
    unpriced = await http.get("/v1/companies/t-2/transactions", params={"month": "1999-12"}, headers=NETVISOR)
    missing = await http.get("/v1/companies/t-2/transactions", headers=NETVISOR)
    as_support = await http.get(
        "/v1/companies/t-2/transactions", params={"month": "2024-05"}, headers=SUPPORT
    )

    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_company")
    assert (unpriced.status_code, unpriced.json()["error"]["code"]) == (422, "month_not_priced")
    assert "1999-12" in unpriced.json()["error"]["message"]
    assert missing.status_code == 422 and "month (query)" in missing.json()["error"]["message"]
    assert as_support.status_code == 401


async def test_support_runs_a_month_and_a_rerun_bills_only_what_failed(
    api: Api, sessions: Sessions, netvisor_sandbox: NetvisorSandbox
) -> None:
    month = fresh_month()
    good = seed(sessions, "r-good", month, {RECEIVED_EINVOICE: 1})
    refused = seed(sessions, "r-refused", month, {SENT_EINVOICE: 1})
    await netvisor_sandbox.fail_authentication_for(refused)
    try:
        nameless = await api.http.post(
            f"/v1/support/billing/{month}", headers={"Authorization": SUPPORT["Authorization"]}
        )
        started = await api.http.post(f"/v1/support/billing/{month}", headers=SUPPORT)
        assert nameless.status_code == 422 and "x-support-user" in nameless.text.lower()
        assert (started.status_code, started.json()["status"]) == (202, "started")
        assert started.json()["workflow_id"] == f"billing-{month}"
        assert started.json()["requested_by"] == "agent.anna"
        first = await _finished(api, month)
    finally:
        await netvisor_sandbox.heal()
    assert (first.posted, first.failed) == (1, 1) and first.failures[0].company_id == "r-refused"

    assert first.requested_by == "agent.anna", "the run keeps who started it"
    rerun = await api.http.post(
        f"/v1/support/billing/{month}", headers=SUPPORT | {"X-Support-User": "agent.bo"}
    )
    assert (rerun.status_code, rerun.json()["status"]) == (202, "started")
    second = await _finished(api, month)
    done = await api.http.post(f"/v1/support/billing/{month}", headers=SUPPORT)

    assert (second.posted, second.already_posted, second.failed) == (1, 1, 0)
    assert (done.status_code, done.json()["status"]) == (200, "completed")
    assert done.json()["report"]["already_posted"] == 1
    assert done.json()["requested_by"] == "agent.bo", "who started the run that billed it, not who asked now"
    billed = await netvisor_sandbox.billed(month)
    assert {organisation: len(sets) for organisation, sets in billed.items()} == {good: 1, refused: 1}
    priced = await api.http.get(
        "/v1/companies/r-good/transactions", params={"month": month}, headers=NETVISOR
    )
    assert priced.json()["billing"]["total"] == "1.00" and priced.json()["billing"]["posted_at"]


async def test_a_running_month_answers_its_progress_instead_of_starting_again(
    api: Api, sessions: Sessions, netvisor_sandbox: NetvisorSandbox
) -> None:
    month = fresh_month()
    organisation = seed(sessions, "slow", month, {RECEIVED_EINVOICE: 1})
    (await netvisor_sandbox.controls.put("/faults", json={"latency_ms": 1500})).raise_for_status()
    try:
        started = await api.http.post(f"/v1/support/billing/{month}", headers=SUPPORT)
        running = await api.http.post(f"/v1/support/billing/{month}", headers=SUPPORT)
    finally:
        await netvisor_sandbox.heal()

    assert started.json()["status"] == "started"
    assert (running.status_code, running.json()["status"]) == (202, "running")
    assert running.json()["report"]["month"] == month
    assert (await _finished(api, month)).posted == 1
    assert len((await netvisor_sandbox.billed(month))[organisation]) == 1


async def test_billing_a_bad_or_unfinished_month_is_refused(api: Api) -> None:
    this_month = await billing_month_now()

    bad = await api.http.post("/v1/support/billing/2024-13", headers=SUPPORT)
    unfinished = await api.http.post(f"/v1/support/billing/{this_month}", headers=SUPPORT)
    as_netvisor = await api.http.post("/v1/support/billing/2024-05", headers=NETVISOR)

    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_month")
    assert "month in the path" in bad.json()["error"]["message"]
    assert (unfinished.status_code, unfinished.json()["error"]["code"]) == (422, "month_not_over")
    assert as_netvisor.status_code == 401
