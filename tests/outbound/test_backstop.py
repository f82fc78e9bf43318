"""When no webhook comes: the backstop check asks Maventa and the outcome still reaches Netvisor."""

import uuid

import pytest

from tests.outbound.conftest import Stack, eventually
from tests.outbound.invoices import billable_actions, json_request
from workflows.sales_invoice_models import workflow_id


async def test_a_delivery_without_webhook_is_found_by_the_backstop_check(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stack.settings, "sales_invoice_first_check_s", 0.5)
    company = await stack.company(webhooks=False)
    key = f"inv-{uuid.uuid4().hex[:12]}"
    accepted = await stack.api.post(
        f"/v1/companies/{company.company_id}/sales-invoices", json=json_request(key, company.business_id)
    )
    assert accepted.status_code == 202
    sent = await eventually(lambda: stack.sent_at_maventa(company.business_id))

    await stack.maventa_control(f"sent-invoices/{sent[0]['id']}/deliver")

    view = await stack.settled(company.company_id, key, "DELIVERED")
    assert [change["status"] for change in view["history"]] == ["SUBMITTED", "PENDING", "DELIVERED"]
    assert await eventually(lambda: stack.netvisor_says(key, "DELIVERED"))
    handle = stack.client.get_workflow_handle(workflow_id(company.company_id, key))
    await handle.result()
    actions = await billable_actions(handle)
    assert "workflow execution signaled" not in actions
    assert actions["timer started"] >= 1
