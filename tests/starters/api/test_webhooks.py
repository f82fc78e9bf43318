"""Maventa's webhook end to end: subscribed once at worker start, an arrival reaches Netvisor without any
other trigger, and whatever the service does not know is acknowledged."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client, WorkflowExecutionStatus

from starters.inbound import start_receiving
from starters.webhook_subscription import ensure_webhook_subscription
from tests.inbound.harness import Inbound, Receiver, eventually, inbound_stack
from workers.dependencies import Dependencies


@pytest_asyncio.fixture(loop_scope="session")
async def stack(temporal_client: Client, task_queue: str, tmp_path: Path) -> AsyncIterator[Inbound]:
    async with inbound_stack(temporal_client, task_queue, tmp_path) as running:
        yield running


async def _signals(stack: Inbound) -> int:
    count = 0
    async for event in stack.inbox.fetch_history_events():
        count += event.WhichOneof("attributes") == "workflow_execution_signaled_event_attributes"
    return count


async def test_an_arrival_is_imported_on_the_webhook_alone(stack: Inbound) -> None:
    company = await stack.company()
    dependencies = Dependencies(
        settings=stack.settings, maventa=stack.maventa, netvisor=stack.netvisor, sessions=stack.sessions
    )
    async with stack.api() as api, stack.worker():
        stack.settings.api_public_url = str(api.base_url).rstrip("/")
        assert await ensure_webhook_subscription(dependencies, stack.settings) is True
        assert await ensure_webhook_subscription(dependencies, stack.settings) is False, "idempotent"
        ids = await stack.arrive(company, "OPERATOR", count=15)
        assert await eventually(lambda: _all_in_netvisor(stack, company, 15))
        assert await _signals(stack) <= 3, "fifteen webhooks in a burst are coalesced into few signals"

        async def all_booked() -> bool:
            """The ledger is written after Netvisor has answered: wait for it before the worker stops."""
            return {stack.ledger(i).status for i in ids} == {"imported"}  # type: ignore[union-attr]

        assert await eventually(all_booked)


async def test_the_webhook_refuses_a_wrong_secret_and_acknowledges_the_unknown(stack: Inbound) -> None:
    secret = stack.settings.api_webhook_secret.get_secret_value()
    async with stack.api() as api:
        api.headers.pop("Authorization")
        wrong = await api.post(
            "/v1/webhooks/maventa/not-the-secret", json={"event": "DOCUMENTS.INVOICE.RECEIVED"}
        )
        assert wrong.status_code == 404
        path = f"/v1/webhooks/maventa/{secret}"
        unknown_company = await api.post(
            path, json={"event": "DOCUMENTS.INVOICE.RECEIVED", "company_id": "nobody", "invoice_id": "x"}
        )
        assert unknown_company.status_code == 200 and unknown_company.json()["handled"] is False
        unknown_event = await api.post(path, json={"event": "DOCUMENTS.ORDER.RECEIVED", "invoice_id": "x"})
        assert unknown_event.status_code == 200 and unknown_event.json()["handled"] is False
        unknown_invoice = await api.post(
            path, json={"event": "DOCUMENTS.INVOICE.DELIVERED", "invoice_id": "x"}
        )
        assert unknown_invoice.status_code == 200 and unknown_invoice.json()["handled"] is False
        garbage = await api.post(path, content=b"not json", headers={"content-type": "application/json"})
        assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "invalid_notification"


async def _all_in_netvisor(stack: Inbound, company: Receiver, count: int) -> bool:
    return len(await stack.in_netvisor(company)) >= count


async def test_worker_start_runs_the_sweep_even_while_maventa_is_down(stack: Inbound) -> None:
    dependencies = Dependencies(
        settings=stack.settings, maventa=stack.maventa, netvisor=stack.netvisor, sessions=stack.sessions
    )
    (
        await stack.maventa_http.put("/_sandbox/faults", json={"error_rate": 1.0, "status": 503})
    ).raise_for_status()
    try:
        await start_receiving(stack.client, dependencies)
    finally:
        (await stack.maventa_http.delete("/_sandbox/faults")).raise_for_status()
    assert (await stack.inbox.describe()).status == WorkflowExecutionStatus.RUNNING
    await start_receiving(stack.client, dependencies)
    assert (await stack.inbox.describe()).status == WorkflowExecutionStatus.RUNNING
