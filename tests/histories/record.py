"""Record the histories tests/histories/test_replay.py replays: realistic runs of every workflow type on the
whole service (tests/reliability/stack.py), written as Temporal's history JSON.

    .venv/bin/python -m tests.histories.record

Run it after a deliberate, patched change of a workflow, never to make a failing replay pass
(docs/reliability.md).
Payloads are encrypted by the service's codec with RECORDING_KEY, a fixed key that only these files use.
"""

import asyncio
import sys
import tempfile
import uuid
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus

from store.database import unit_of_work
from store.ledger import RECEIVED_EINVOICE, record_transaction
from tests.clock import wall_clock
from tests.reliability.stack import Company, Service, eventually, founding, running_service
from tests.sandbox.maventa.serving import business_id
from workers.schedules import BILLING_SCHEDULE_ID
from workflows.billing import BillingWorkflow, MonthlyBillingWorkflow
from workflows.connection import ConnectionWorkflow
from workflows.inbox import InboxWorkflow
from workflows.inbox_models import INBOX_WORKFLOW_ID
from workflows.sales_invoice import SalesInvoiceWorkflow
from workflows.sales_invoice_models import workflow_id as sales_invoice_id

FOLDER = Path(__file__).parent
RECORDING_KEY = "cmVwbGF5LXRlc3QtaGlzdG9yaWVzLWtleS0wMDAwMDA="
"""urlsafe base64 of 32 bytes; encrypts nothing but the recorded histories."""
SUGGEST_CONTINUE_AS_NEW_AFTER = 60
RENAMES = 25
"""Netvisor's reports of a renamed company, enough to pass the suggestion and continue as new."""


def file_name(workflow_type: str, label: str) -> Path:
    return FOLDER / f"{workflow_type}__{label}.json"


async def _save(
    client: Client, workflow_id: str, workflow_type: str, label: str, run_id: str | None = None
) -> None:
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    file_name(workflow_type, label).write_text(history.to_json() + "\n")
    print(f"recorded {workflow_type} {label}: {len(history.events)} events")


async def _last_month_billed(service: Service, company: Company) -> str:
    """A transaction of last month for the company, so the schedule's launcher has a month to bill."""
    first_of_month = wall_clock().replace(day=1, hour=12)
    last_month = first_of_month - timedelta(days=15)

    def record() -> None:
        with unit_of_work(service.sessions) as session:
            record_transaction(session, company.company_id, RECEIVED_EINVOICE, "recorded-history", last_month)

    await asyncio.to_thread(record)
    return last_month.strftime("%Y-%m")


async def _completed(client: Client, workflow_id: str) -> bool:
    return (
        await client.get_workflow_handle(workflow_id).describe()
    ).status == WorkflowExecutionStatus.COMPLETED


async def _support_state(service: Service, company_id: str) -> str | None:
    answer = (await service.support.get(f"/v1/support/companies/{company_id}")).json()
    return (answer.get("account") or {}).get("state") or ("RELEASED" if answer.get("released") else None)


async def record_exception_cases(service: Service) -> None:
    """An existing account (R12-R15): declined, linked by its keys with import from now, made send-only
    with the linked keys, then released; the run's history holds every exception action's commands. Then it
    rejoins (§3.2): the next run's history starts with the update that started it."""
    bid = business_id()
    made = await service.maventa_http.post(
        "/_sandbox/accounts", json={"business_id": bid, "name": "Oma Tili Oy"}
    )
    made.raise_for_status()
    company_id = f"rel-{uuid.uuid4().hex[:10]}"
    path = f"/v1/companies/{company_id}"
    assert (await service.api.put(path, json=founding(bid))).status_code == 202

    async def in_state(state: str) -> bool:
        return await _support_state(service, company_id) == state

    assert await eventually(lambda: in_state("EXISTING_ACCOUNT"), timeout_s=60)
    agent = {"X-Support-User": "agent.anna"}
    support = f"/v1/support/companies/{company_id}"
    for answer in (
        await service.support.post(f"{support}/decline", headers=agent),
        await service.api.put(f"{path}/maventa/api-keys", json=made.json()),
        await service.api.put(f"{path}/maventa/import", json={"mode": "now"}),
        await service.support.post(f"{support}/send-only", headers=agent),
        await service.support.post(f"{support}/release", headers=agent),
    ):
        assert answer.status_code in (200, 202), answer.text
    connection_id = f"maventa-connection-{company_id}"
    assert await eventually(lambda: _completed(service.client, connection_id), timeout_s=60)
    released_run = (await service.client.get_workflow_handle(connection_id).describe()).run_id
    connection = ConnectionWorkflow.__name__
    await _save(service.client, connection_id, connection, "declined-linked-send-only-released", released_run)
    rejoined = await service.support.post(
        f"{support}/rejoin", json=made.json() | {"mode": "now"}, headers=agent
    )
    assert rejoined.status_code == 200, rejoined.text
    await _save(service.client, connection_id, connection, "rejoined-after-release")


def _recording(folder: Path) -> AbstractAsyncContextManager[Service]:
    return running_service(
        folder,
        secrets_key=RECORDING_KEY,
        dev_server_args=(
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={SUGGEST_CONTINUE_AS_NEW_AFTER}",
        ),
    )


async def record(folder: Path) -> None:
    async with _recording(folder) as service:
        client = service.client
        [company] = await service.found(1)
        connection_id = f"maventa-connection-{company.company_id}"
        first_run = (await client.get_workflow_handle(connection_id).describe()).run_id
        for n in range(RENAMES):
            report = founding(company.business_id) | {"name": f"Uusi nimi {n} Oy"}
            response = await service.api.put(f"/v1/companies/{company.company_id}", json=report)
            assert response.status_code == 202, response.text

        async def continued() -> bool:
            return (await client.get_workflow_handle(connection_id).describe()).run_id != first_run

        assert await eventually(continued), "the connection did not continue as new"
        report = founding(company.business_id) | {"name": "Nimi jatkon jälkeen Oy"}
        assert (await service.api.put(f"/v1/companies/{company.company_id}", json=report)).status_code == 202

        async def renamed_after() -> bool:
            view = (await service.api.get(f"/v1/companies/{company.company_id}/maventa")).json()
            return bool(view.get("name") == "Nimi jatkon jälkeen Oy")

        assert await eventually(renamed_after), "the continued run did not take the report"
        connection = ConnectionWorkflow.__name__
        await _save(client, connection_id, connection, "founded-to-connected-then-renamed", first_run)
        await _save(client, connection_id, connection, "continued-as-new")

        received = await service.arrive(company, 3)

        async def imported() -> bool:
            return sorted(await service.in_netvisor(company)) == sorted(received)

        assert await eventually(imported), "the received invoices were not imported"
        await _save(client, INBOX_WORKFLOW_ID, InboxWorkflow.__name__, "three-received-invoices")

        key = f"{company.company_id}-history"
        assert (await service.submit(company, key)).status_code == 202

        async def delivered() -> bool:
            return await service.sales_status(company, key) == "DELIVERED"

        assert await eventually(delivered), "the sales invoice was not delivered"
        await _save(
            client, sales_invoice_id(company.company_id, key), SalesInvoiceWorkflow.__name__, "delivered"
        )

        month = await _last_month_billed(service, company)
        await client.get_schedule_handle(BILLING_SCHEDULE_ID).trigger()
        billing_id = f"billing-{month}"

        async def billed() -> bool:
            try:
                return await _completed(client, billing_id)
            except Exception:
                return False

        assert await eventually(billed), "the month was not billed"
        launcher = [
            execution.id
            async for execution in client.list_workflows(
                f"WorkflowType = '{MonthlyBillingWorkflow.__name__}'"
            )
        ]
        assert launcher, "the schedule started no launcher"
        assert await eventually(lambda: _completed(client, launcher[0]))
        await _save(client, launcher[0], MonthlyBillingWorkflow.__name__, "scheduled")
        await _save(client, billing_id, BillingWorkflow.__name__, "one-company")


async def record_exceptions(folder: Path) -> None:
    """On a service of its own that keeps the server's continue-as-new suggestion, so the one run holds
    every action."""
    async with running_service(folder, secrets_key=RECORDING_KEY) as service:
        await record_exception_cases(service)


def main() -> None:
    """`python -m tests.histories.record exceptions` records only the exception cases' history."""
    with tempfile.TemporaryDirectory(prefix="histories-") as folder:
        lifecycle, exceptions = Path(folder) / "lifecycle", Path(folder) / "exceptions"
        lifecycle.mkdir()
        exceptions.mkdir()
        if sys.argv[1:] != ["exceptions"]:
            asyncio.run(record(lifecycle))
        asyncio.run(record_exceptions(exceptions))


if __name__ == "__main__":
    main()
