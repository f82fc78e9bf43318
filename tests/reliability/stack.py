"""The whole service as `make run` starts it (devstack), every part its own process, on free loopback ports
in a throw-away folder: the fault matrix and the crash tests act on it as Netvisor, Maventa and an operator
would. The start-up is the bench's (bench/harness.py).

Only settings differ from `make run`: short timeouts and check intervals, so that faults are felt and healed
within a test.
"""

import asyncio
import os
import re
import signal
import sqlite3
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
from cryptography.fernet import Fernet
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from bench.harness import Stack, loopback_environment, started
from devstack.stack import DevStack
from settings import Settings
from store.database import Sessions, unit_of_work
from store.received_invoices import ReceivedInvoice
from tests.clock import billing_months, wall_clock
from tests.outbound.invoices import json_request
from tests.sandbox.maventa.serving import business_id
from workflows.inbox import InboxWorkflow
from workflows.inbox_models import INBOX_WORKFLOW_ID, ImportOutcome, InboxOptions, InboxState

T = TypeVar("T")

NETVISOR_TOKEN = "reliability-netvisor-token"
SUPPORT_TOKEN = "reliability-support-token"
WEBHOOK_SECRET = "reliability-webhook-secret"
ENVIRONMENT = {
    "LOG_LEVEL": "ERROR",
    "API_NETVISOR_TOKEN": NETVISOR_TOKEN,
    "API_SUPPORT_TOKEN": SUPPORT_TOKEN,
    "API_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "SANDBOX_BANK_CONFIRM_SECONDS": "1",
    "SANDBOX_DELIVERY_SECONDS": "1",
    "BANK_NETWORK_CHECK_SECONDS": "1",
    "BANK_NETWORK_CHECK_ANY_DAY": "true",
    "MAVENTA_TIMEOUT_S": "2",
    "NETVISOR_TIMEOUT_S": "5",
    "SALES_INVOICE_FIRST_CHECK_S": "2",
    "SALES_INVOICE_LONGEST_CHECK_INTERVAL_S": "4",
    "INBOUND_RECHECK_AFTER_S": "1",
    "INBOUND_BACKSTOP_S": "5",
    "INBOUND_HEARTBEAT_TIMEOUT_S": "3",
    "INBOUND_IMPORT_ATTEMPTS": "4",
    "WORKER_GRACEFUL_SHUTDOWN_S": "2",
}
SWEEP = InboxOptions(
    backstop_every=timedelta(seconds=1),
    import_heartbeat_timeout=timedelta(seconds=3),
    import_attempts=6,
    import_retry_first=timedelta(milliseconds=100),
)
"""The sweep's pacing here (the worker's own start finds it running): under a 30 % fault rate an import
retried after the production's 5 s makes the cells too slow to run in the suite."""
_MAVENTA_ID = re.compile(r"Maventa invoice id: (\S+)")


async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout_s: float = 60.0, every_s: float = 0.25
) -> T:
    """The first truthy result of check, or its last one when the time is up (the caller asserts on it)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(every_s)


def founding(bid: str) -> dict[str, Any]:
    """Netvisor's report of a company with both modules open."""
    return {
        "business_id": bid,
        "name": f"Luotettava {bid} Oy",
        "email": f"talous-{bid}@luotettava.fi",
        "address": {"street": "Kestäväntie 1", "post_code": "00100", "city": "Helsinki", "country": "FI"},
        "modules": {"sales": True, "purchases": True},
    }


@dataclass(frozen=True)
class Company:
    company_id: str
    business_id: str
    maventa_uuid: str


@dataclass
class Service(Stack):
    """The running stack and what its users see of it."""

    sessions: Sessions
    data_dir: Path
    companies: list[Company] = field(default_factory=list)
    started_at: datetime = field(default_factory=wall_clock)

    # Netvisor's side: founding companies, submitting sales invoices

    async def found(self, count: int) -> list[Company]:
        """Companies founded through the API and followed to CONNECTED by their connection workflows.

        One still RECEIVING after a while gets support's "check now": a check that fell due while its
        workflow was busy is otherwise skipped until the deadline (test_bank_check_when_busy.py).
        """
        ids = [(f"rel-{uuid.uuid4().hex[:10]}", business_id()) for _ in range(count)]
        for company_id, bid in ids:
            response = await self.api.put(f"/v1/companies/{company_id}", json=founding(bid))
            assert response.status_code == 202, response.text
        found = []
        for company_id, bid in ids:

            async def view(company_id: str = company_id) -> dict[str, Any] | None:
                answer = (await self.api.get(f"/v1/companies/{company_id}/maventa")).json()
                return answer if answer.get("state") == "CONNECTED" else None

            connected = await eventually(view, timeout_s=10)
            if not connected:
                await self.support.post(f"/v1/support/companies/{company_id}/bank-network/check")
                connected = await eventually(view, timeout_s=20)
            assert connected, f"{company_id} did not reach CONNECTED"
            found.append(Company(company_id, bid, connected["maventa_company_id"]))
        self.companies += found
        return found

    async def submit(self, company: Company, invoice_key: str) -> httpx.Response:
        return await self.api.post(
            f"/v1/companies/{company.company_id}/sales-invoices",
            json=json_request(invoice_key, company.business_id),
        )

    async def submit_all(self, company: Company, keys: list[str]) -> list[int]:
        """Netvisor's submissions, each sent again until the API accepts it (as Netvisor's outbox would)."""
        statuses = []
        for key in keys:
            for _ in range(20):
                response = await self.submit(company, key)
                if response.status_code < 500:
                    break
                await asyncio.sleep(0.5)
            statuses.append(response.status_code)
        return statuses

    async def sales_status(self, company: Company, invoice_key: str) -> str | None:
        response = await self.api.get(f"/v1/companies/{company.company_id}/sales-invoices/{invoice_key}")
        return str(response.json()["status"]) if response.status_code == 200 else None

    async def transactions(self, company: Company) -> dict[str, int]:
        """The company's transactions of each kind since the stack started, in whichever months they fell."""
        counts: Counter[str] = Counter()
        for month in billing_months(self.started_at, wall_clock()):
            response = await self.api.get(f"/v1/companies/{company.company_id}/transactions?month={month}")
            response.raise_for_status()
            counts.update({kind["kind"]: kind["count"] for kind in response.json()["kinds"]})
        return dict(counts)

    # Maventa's side

    async def arrive(self, company: Company, count: int) -> list[str]:
        response = await self.maventa_http.post(
            f"/_sandbox/companies/{company.business_id}/received-invoices",
            json={"channel": "OPERATOR", "count": count},
        )
        assert response.status_code == 201, response.text
        return [row["id"] for row in response.json()]

    async def sent_at_maventa(self, company: Company) -> list[dict[str, Any]]:
        response = await self.maventa_http.get(f"/_sandbox/companies/{company.business_id}/sent-invoices")
        response.raise_for_status()
        return list(response.json())

    def expire_maventa_tokens(self) -> int:
        """Maventa ends every token now (as when it expires them early); the count of tokens ended."""
        with sqlite3.connect(self.data_dir / "maventa-sandbox.db", timeout=10) as database:
            cursor = database.execute(
                "UPDATE token SET expires_at = '2000-01-01 00:00:00.000000' WHERE expires_at > '2001'"
            )
            return cursor.rowcount

    def maventa_tokens_issued(self) -> int:
        with sqlite3.connect(self.data_dir / "maventa-sandbox.db", timeout=10) as database:
            return int(database.execute("SELECT count(*) FROM token").fetchone()[0])

    def queue_states(self, invoice_ids: list[str]) -> dict[str, str]:
        """Invoice id -> CREATED/HANDLED in Maventa's partner queue, read from the sandbox's file."""
        with sqlite3.connect(self.data_dir / "maventa-sandbox.db", timeout=10) as database:
            rows = database.execute("SELECT invoice_id, state FROM invoiceevent").fetchall()
        wanted = set(invoice_ids)
        return {invoice_id: state for invoice_id, state in rows if invoice_id in wanted}

    # Netvisor's sandbox

    async def in_netvisor(self, company: Company) -> list[str]:
        """Maventa invoice ids of the company's purchase invoices in Netvisor, one per imported invoice."""
        response = await self.netvisor_http.get(
            f"/_sandbox/companies/{company.business_id}/purchase-invoices"
        )
        response.raise_for_status()
        ids = []
        for invoice in response.json():
            found = _MAVENTA_ID.search(invoice.get("comment") or "")
            ids.append(found.group(1) if found else "?")
        return ids

    async def netvisor_sales_status(self, invoice_key: str) -> str | None:
        response = await self.netvisor_http.get(f"/_sandbox/sales-invoices/{invoice_key}")
        return str(response.json()["status"]) if response.status_code == 200 else None

    async def netvisor_faults(self, **faults: Any) -> None:
        if faults:
            response = await self.netvisor_http.put("/_sandbox/faults", json=faults)
        else:
            response = await self.netvisor_http.delete("/_sandbox/faults")
        response.raise_for_status()

    # the store and Temporal, as an operator reads them

    def ledger(self, invoice_ids: list[str]) -> dict[str, ReceivedInvoice]:
        with unit_of_work(self.sessions) as session:
            rows = {}
            for invoice_id in invoice_ids:
                row = session.get(ReceivedInvoice, invoice_id)
                if row is not None:
                    session.expunge(row)
                    rows[invoice_id] = row
            return rows

    async def sweep_totals(self) -> ImportOutcome:
        handle = self.client.get_workflow_handle_for(InboxWorkflow.run, INBOX_WORKFLOW_ID)
        state: InboxState = await handle.query(InboxWorkflow.status)
        return state.totals

    async def activity_retries(self, workflow_ids: list[str]) -> int:
        """Activity attempts beyond the first in these workflows' histories."""
        retries = 0
        for workflow_id in workflow_ids:
            history = await self.client.get_workflow_handle(workflow_id).fetch_history()
            for event in history.events:
                if event.HasField("activity_task_started_event_attributes"):
                    retries += event.activity_task_started_event_attributes.attempt - 1
        return retries

    # processes

    def kill_worker(self) -> None:
        os.killpg(self.devstack.worker.pid, signal.SIGKILL)

    async def start_worker(self) -> None:
        await self.devstack.worker.wait()
        await self.devstack.worker.start()

    async def restart_temporal(self) -> None:
        """The dev server stopped and started again on the same SQLite file."""
        await self.stop_temporal()
        await self.start_temporal()

    async def stop_temporal(self) -> None:
        await self.devstack.temporal.stop()

    async def start_temporal(self) -> None:
        """The dev server started again on its SQLite file, answering."""
        await self.devstack.temporal.start()
        await eventually(self._temporal_answers, timeout_s=30)

    async def _temporal_answers(self) -> bool:
        try:
            await self.client.count_workflows()
        except Exception:
            return False
        return True

    async def restart_api(self) -> None:
        await self.devstack.api.stop()
        await self.devstack.api.start()

        async def healthy() -> bool:
            try:
                return (await self.api.get("/healthz")).status_code == 200
            except httpx.HTTPError:
                return False

        assert await eventually(healthy, timeout_s=30), "the API did not come back"


def _settings(folder: Path, secrets_key: str) -> tuple[Settings, dict[str, str]]:
    values = loopback_environment(folder) | ENVIRONMENT | {"SECRETS_KEY": secrets_key}
    return Settings.model_validate({name.lower(): value for name, value in values.items()}), values


async def _start_sweep(client: Client, settings: Settings) -> None:
    """The sweep on SWEEP's pacing, in place of the one the worker's own start began."""
    await client.start_workflow(
        InboxWorkflow.run,
        InboxState(options=SWEEP),
        id=INBOX_WORKFLOW_ID,
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
    )


@asynccontextmanager
async def running_service(
    folder: Path, *, secrets_key: str | None = None, dev_server_args: tuple[str, ...] = ()
) -> AsyncIterator[Service]:
    """Dev server, both sandboxes, worker and API; Maventa's webhook subscribed and the sweep running."""
    settings, values = _settings(folder, secrets_key or Fernet.generate_key().decode("ascii"))
    devstack = DevStack(settings)
    devstack.env.update(values)
    devstack.temporal.argv += dev_server_args
    sessions = Sessions.for_url(settings.store_url)
    service = partial(Service, sessions=sessions, data_dir=folder)
    try:
        async with started(settings, devstack, _start_sweep, service) as running:
            yield running
    finally:
        sessions.dispose()
