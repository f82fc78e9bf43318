"""Maventa answering 503, and an upload whose answer is lost after Maventa made the invoice: one invoice."""

import asyncio
import uuid

from store.database import unit_of_work
from store.ledger import count_by_kind
from tests.clock import billing_month_now
from tests.outbound.conftest import Stack, eventually
from tests.outbound.invoices import json_request
from workflows.sales_invoice_models import maventa_uuid, workflow_id


async def _upload_attempt(stack: Stack, company_id: str, key: str) -> int:
    """The attempt number of the upload activity while it is being retried, 0 once it is done."""
    description = await stack.client.get_workflow_handle(workflow_id(company_id, key)).describe()
    pending = description.raw_description.pending_activities
    return max((a.attempt for a in pending if a.activity_type.name == "upload_sales_invoice"), default=0)


async def test_503s_and_a_lost_answer_after_maventa_made_the_invoice_still_leave_one_invoice(
    stack: Stack,
) -> None:
    month = await billing_month_now()
    company = await stack.company(webhooks=False)
    key = f"inv-{uuid.uuid4().hex[:12]}"
    try:
        await stack.maventa_control("faults", {"error_rate": 1.0, "status": 503, "paths": ["/v1/invoices"]})
        accepted = await stack.api.post(
            f"/v1/companies/{company.company_id}/sales-invoices", json=json_request(key, company.business_id)
        )
        assert accepted.status_code == 202

        async def refused() -> bool:
            return await _upload_attempt(stack, company.company_id, key) >= 2

        await eventually(refused)
        assert await stack.sent_at_maventa(company.business_id) == []
        stack.network.answers_to_lose = 1
    finally:
        await stack.sandbox.delete(f"{stack.maventa_url}/_sandbox/faults")

    made = await eventually(lambda: stack.sent_at_maventa(company.business_id))
    view = await stack.settled(company.company_id, key, "PENDING")
    assert stack.network.answers_to_lose == 0, "the upload's answer was lost once"
    assert view["maventa_invoice_id"] == made[0]["id"]
    sent = await stack.sent_at_maventa(company.business_id)
    assert [s["uuid"] for s in sent] == [maventa_uuid(company.company_id, key)]

    def billed() -> dict[str, int]:
        with unit_of_work(stack.sessions) as session:
            return count_by_kind(session, company.company_id, month)

    assert await asyncio.to_thread(billed) == {"sent_einvoice": 1}
    reported = await eventually(lambda: stack.netvisor_status(key))
    assert reported["status"] == "PENDING"
