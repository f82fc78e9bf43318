"""A month-end run measured: invoices per second through the whole path against the same uploads made
directly with the Maventa client, and Temporal actions per invoice. OUTBOUND_BENCH_INVOICES sets the size."""

import asyncio
import os
import time
import uuid

from sqlmodel import func, select

from domain.finvoice import SalesInvoice, render_finvoice
from store.database import unit_of_work
from store.sent_invoices import SentInvoice
from tests.clock import wall_clock
from tests.outbound.conftest import Stack, eventually
from tests.outbound.invoices import RECIPIENT, billable_actions, json_request, sales_invoice
from workflows.sales_invoice_models import workflow_id

INVOICES = int(os.environ.get("OUTBOUND_BENCH_INVOICES", "30"))
CONCURRENCY = 16


async def _all_in(stack: Stack, company_id: str, status: str, count: int) -> bool:
    def counted() -> int:
        with unit_of_work(stack.sessions) as session:
            statement = select(func.count()).where(
                SentInvoice.company_id == company_id, SentInvoice.status == status
            )
            return int(session.exec(statement).one())

    return await asyncio.to_thread(counted) == count


async def _actions(stack: Stack, company_id: str, key: str) -> int:
    """Counted once the run has ended, so retried activities are in the history too."""
    handle = stack.client.get_workflow_handle(workflow_id(company_id, key))
    await handle.result()
    return sum((await billable_actions(handle)).values())


async def _direct_uploads(stack: Stack, count: int) -> float:
    """The same uploads with the client alone: the floor the service is compared with."""
    company = await stack.company(webhooks=False)
    document = render_finvoice(
        SalesInvoice.model_validate(sales_invoice(company.business_id)),
        sender_einvoice_address="0037" + company.business_id.replace("-", ""),
        sender_operator="003721291126",
        recipient_einvoice_address=RECIPIENT["einvoice_address"],
        recipient_operator=RECIPIENT["operator"],
        message_id="DIRECT-1",
        timestamp=wall_clock().replace(microsecond=0),
    )
    limit = asyncio.Semaphore(CONCURRENCY)

    async def upload() -> None:
        async with limit:
            await stack.maventa.send_invoice(
                company.credentials,
                document,
                "invoice.xml",
                uuid=str(uuid.uuid4()),
                recipient_eia=RECIPIENT["einvoice_address"],
                recipient_operator=RECIPIENT["operator"],
            )

    started = time.perf_counter()
    await asyncio.gather(*(upload() for _ in range(count)))
    return time.perf_counter() - started


async def test_a_month_end_batch_leaves_once_each_within_the_action_budget(stack: Stack) -> None:
    company = await stack.company()
    keys = [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(INVOICES)]
    url = f"/v1/companies/{company.company_id}/sales-invoices/batch"

    started = time.perf_counter()
    for chunk in range(0, INVOICES, 500):
        batch = [json_request(key, company.business_id) for key in keys[chunk : chunk + 500]]
        answer = await stack.api.post(url, json={"invoices": batch})
        assert answer.json()["accepted"] == len(batch), answer.text
    accepted_s = time.perf_counter() - started
    await eventually(lambda: _all_in(stack, company.company_id, "PENDING", INVOICES), timeout_s=120)
    uploaded_s = time.perf_counter() - started

    sent = await stack.sent_at_maventa(company.business_id)
    assert len(sent) == INVOICES
    limit = asyncio.Semaphore(CONCURRENCY)

    async def deliver(invoice_id: str) -> None:
        async with limit:
            await stack.maventa_control(f"sent-invoices/{invoice_id}/deliver")

    await asyncio.gather(*(deliver(s["id"]) for s in sent))
    await eventually(lambda: _all_in(stack, company.company_id, "DELIVERED", INVOICES), timeout_s=120)
    delivered_s = time.perf_counter() - started

    direct_s = await _direct_uploads(stack, INVOICES)
    sample = keys[:: max(1, INVOICES // 10)]
    actions = [await _actions(stack, company.company_id, key) for key in sample]
    print(
        f"\n{INVOICES} invoices: accepted by the API in {accepted_s:.2f} s; at Maventa and reported PENDING "
        f"after {uploaded_s:.2f} s ({INVOICES / uploaded_s:.1f}/s); DELIVERED and reported after "
        f"{delivered_s:.2f} s (deliveries triggered once all were PENDING); direct client uploads "
        f"{INVOICES / direct_s:.1f}/s; service/direct upload rate {direct_s / uploaded_s:.2f}; "
        f"actions per invoice {sorted(set(actions))}"
    )
    assert max(actions) <= 8
