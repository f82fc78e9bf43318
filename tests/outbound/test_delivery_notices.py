"""A DELIVERED webhook is only a hint (starters/delivery_notices.py): a forged one changes nothing while
Maventa says PENDING, and once Maventa says DELIVERED a burst of notices is one signal."""

import uuid
from typing import Any

import httpx
from temporalio.client import WorkflowHandle

from tests.outbound.conftest import Stack
from tests.outbound.invoices import json_request
from workflows.sales_invoice_models import DELIVERED_EVENT, workflow_id


async def _signals(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    return sum(event.HasField("workflow_execution_signaled_event_attributes") for event in history.events)


async def test_a_forged_delivered_notice_changes_nothing_until_maventa_says_so(stack: Stack) -> None:
    company = await stack.company(webhooks=False)
    key = f"inv-{uuid.uuid4().hex[:12]}"
    accepted = await stack.api.post(
        f"/v1/companies/{company.company_id}/sales-invoices", json=json_request(key, company.business_id)
    )
    assert accepted.status_code == 202, accepted.text
    await stack.settled(company.company_id, key, "PENDING")
    [sent] = await stack.sent_at_maventa(company.business_id)
    notice = {
        "event": DELIVERED_EVENT,
        "invoice_id": sent["id"],
        "company_id": company.credentials.company_uuid,
    }
    handle = stack.client.get_workflow_handle(workflow_id(company.company_id, key))

    async with httpx.AsyncClient() as maventa_side:
        forged = await maventa_side.post(stack.webhook_url, json=notice)
        assert forged.status_code == 200 and forged.json()["handled"] is True
        assert await _signals(handle) == 0
        assert (await stack.status(company.company_id, key))["status"] == "PENDING"

        await stack.maventa_control(f"sent-invoices/{sent['id']}/deliver")
        for _ in range(5):
            assert (await maventa_side.post(stack.webhook_url, json=notice)).status_code == 200
    await stack.settled(company.company_id, key, "DELIVERED")
    assert await _signals(handle) == 1
