"""The inbound path for tests: both sandboxes over real HTTP, a migrated store, the sweep's worker on the dev
server, and companies as the connection workflow would have left them in the projection."""

import asyncio
import base64
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.inbound_import import InboundImportActivities
from activities.inbound_queue import InboundQueueActivities
from clients.maventa import MaventaClient, MaventaCredentials
from clients.maventa_partner import partner_credentials
from clients.netvisor import NetvisorClient
from sandbox.maventa import MaventaSandboxConfig
from sandbox.maventa import create_app as maventa_app
from sandbox.netvisor import NetvisorSandboxConfig
from sandbox.netvisor import create_app as netvisor_app
from settings import Settings
from starters import inbound
from starters.api.app import create_app
from store.companies import CompanyChanges, upsert_company
from store.database import Sessions, unit_of_work
from store.received_invoices import ReceivedInvoice, get_received_invoice
from store.schema import migrate
from store.vault import put_secret
from tests.sandbox.maventa.serving import business_id, serve
from workers.client import connect_temporal
from workers.keep_alive import KeepAliveInterceptor
from workflows.inbox import InboxWorkflow
from workflows.inbox_models import InboxOptions, InboxState, ReceivedNotice

T = TypeVar("T")

QUICK = InboxOptions(
    backstop_every=timedelta(hours=1),
    invoices_per_activity=50,
    import_heartbeat_timeout=timedelta(seconds=10),
    import_attempts=30,
    import_retry_first=timedelta(milliseconds=100),
)
"""The sweep's pacing in these tests. The worker shares its event loop with both sandboxes, so a loaded
machine stalls it for a second or two; with a 2 s heartbeat such a stall declared the worker lost mid-burst,
and the second attempt beside the first left an invoice waiting for one more round (the burst test's
intermittent third import). A lost worker here is shut down, which hands its attempt back at once."""


@dataclass
class Receiver:
    company_id: str
    business_id: str
    creds: MaventaCredentials

    @property
    def maventa_uuid(self) -> str:
        return self.creds.company_uuid


@dataclass
class Inbound:
    settings: Settings
    client: Client
    sessions: Sessions
    maventa: MaventaClient
    netvisor: NetvisorClient
    maventa_http: httpx.AsyncClient
    netvisor_http: httpx.AsyncClient
    options: InboxOptions = field(default_factory=lambda: QUICK)
    recheck_after: timedelta = timedelta(0)

    # Maventa side

    async def company(
        self,
        *,
        state: str = "RECEIVING",
        shown_state: str | None = None,
        mode: str = "now",
        import_from: datetime | None = None,
        networks: tuple[str, ...] = ("PEPPOL", "SCAN"),
    ) -> Receiver:
        """A receiving Maventa account linked to the vendor, and its projection row and vault key.

        `state` is the lifecycle state; `shown_state` what support sees, e.g. NEEDS_SUPPORT (default: state).
        """
        bid = business_id()
        response = await self.maventa_http.post(
            "/_sandbox/accounts", json={"business_id": bid, "name": f"Vastaanottaja {bid} Oy"}
        )
        response.raise_for_status()
        body = response.json()
        creds = MaventaCredentials.model_validate(
            {"company_uuid": body["company_uuid"], "user_api_key": body["user_api_key"]}
        )
        await self.maventa.link_vendor(creds)
        for network in networks:
            if network == "SCAN":
                await self.maventa.activate_scan_service(creds)
            else:
                await self.maventa.create_profile(creds, network)
        company = Receiver(company_id=f"nv-{uuid.uuid4().hex[:10]}", business_id=bid, creds=creds)
        self.project(
            company,
            state=state,
            shown_state=shown_state or state,
            mode=mode,
            import_from=import_from or datetime(2000, 1, 1, tzinfo=UTC),
        )
        return company

    def project(
        self, company: Receiver, *, state: str, shown_state: str, mode: str, import_from: datetime | None
    ) -> None:
        with unit_of_work(self.sessions) as session:
            ref = put_secret(session, company.company_id, "maventa_user_api_key", company.creds.user_api_key)
            upsert_company(
                session,
                company.company_id,
                CompanyChanges(
                    business_id=company.business_id,
                    name=f"Vastaanottaja {company.business_id} Oy",
                    state=shown_state,
                    lifecycle_state=state,
                    maventa_company_uuid=company.maventa_uuid,
                    credentials_ref=ref,
                    import_mode=mode,
                    import_from=import_from,
                ),
            )

    async def arrive(
        self,
        company: Receiver,
        channel: str = "OPERATOR",
        *,
        document: bytes | None = None,
        **body: Any,
    ) -> list[str]:
        if document is not None:
            body["finvoice_base64"] = base64.b64encode(document).decode("ascii")
        if isinstance(body.get("received_at"), datetime):
            body["received_at"] = body["received_at"].isoformat()
        response = await self.maventa_http.post(
            f"/_sandbox/companies/{company.business_id}/received-invoices", json={"channel": channel, **body}
        )
        assert response.status_code == 201, response.text
        return [row["id"] for row in response.json()]

    async def queue_state(self) -> dict[str, str]:
        """Invoice id -> CREATED/HANDLED in the partner queue."""
        partner = partner_credentials(self.settings)
        states: dict[str, str] = {}
        for state in ("HANDLED", "CREATED"):
            for event in await self.maventa.received_events(partner, state=state):
                states[event.invoice_id] = state
        return states

    # Netvisor side

    async def in_netvisor(self, company: Receiver) -> list[dict[str, Any]]:
        response = await self.netvisor_http.get(
            f"/_sandbox/companies/{company.business_id}/purchase-invoices"
        )
        response.raise_for_status()
        return list(response.json())

    async def netvisor_faults(self, **faults: Any) -> None:
        if faults:
            (await self.netvisor_http.put("/_sandbox/faults", json=faults)).raise_for_status()
        else:
            (await self.netvisor_http.delete("/_sandbox/faults")).raise_for_status()

    # ledger

    def ledger(self, invoice_id: str) -> ReceivedInvoice | None:
        with unit_of_work(self.sessions) as session:
            row = get_received_invoice(session, invoice_id)
            if row is not None:
                session.expunge(row)
            return row

    # the sweep

    def worker(self, **activity_options: Any) -> Worker:
        queue = InboundQueueActivities(self.maventa, self.sessions, partner_credentials(self.settings))
        imports = InboundImportActivities(
            self.maventa, self.netvisor, self.sessions, recheck_after=self.recheck_after, **activity_options
        )
        return Worker(
            self.client,
            task_queue=self.settings.temporal_task_queue,
            workflows=[InboxWorkflow],
            activities=[queue.read_received_queue, imports.import_received],
            interceptors=[KeepAliveInterceptor()],
        )

    @property
    def inbox(self) -> WorkflowHandle[InboxWorkflow, None]:
        return self.client.get_workflow_handle_for(InboxWorkflow.run, self.settings.inbound_workflow_id)

    async def start(self) -> None:
        await inbound.start_inbox(self.client, self.settings, self.options)

    async def wake(self) -> None:
        await inbound.wake(self.client, self.settings, ReceivedNotice())

    async def status(self) -> InboxState:
        return await self.inbox.query(InboxWorkflow.status)

    @asynccontextmanager
    async def api(self, role: str = "netvisor") -> AsyncIterator[httpx.AsyncClient]:
        """The service's HTTP API on a loopback port, with the role's bearer token."""
        token = (
            self.settings.api_netvisor_token if role == "netvisor" else self.settings.api_support_token
        ).get_secret_value()
        async with (
            serve(create_app(self.settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as http,
        ):
            yield http


async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout_s: float = 20.0, every_s: float = 0.1
) -> T:
    """The first truthy result of check, or its last result when the time is up."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(every_s)


@asynccontextmanager
async def inbound_stack(client: Client, task_queue: str, tmp_path: Path) -> AsyncIterator[Inbound]:
    """Everything but the worker; the inbox workflow is terminated afterwards (its id is fixed)."""
    store_url = f"sqlite:///{tmp_path / 'service.db'}"
    migrate(store_url)
    sessions = Sessions.for_url(store_url)
    async with (
        serve(
            maventa_app(
                MaventaSandboxConfig(
                    database_url=f"sqlite:///{tmp_path / 'maventa.db'}", clock_interval_s=0.05
                )
            )
        ) as maventa_url,
        serve(
            netvisor_app(NetvisorSandboxConfig(database_url=f"sqlite:///{tmp_path / 'netvisor.db'}"))
        ) as netvisor_url,
        httpx.AsyncClient(base_url=maventa_url, timeout=10) as maventa_http,
        httpx.AsyncClient(base_url=netvisor_url, timeout=10) as netvisor_http,
    ):
        settings = Settings(
            maventa_base_url=maventa_url,
            netvisor_base_url=netvisor_url,
            database_url=store_url,
            temporal_task_queue=task_queue,
            # The harness's one worker plays the Maventa task queue too (tests/workers covers the split).
            temporal_maventa_task_queue=task_queue,
            temporal_address=client.service_client.config.target_host,
            temporal_namespace=client.namespace,
            inbound_workflow_id=f"maventa-inbox-{task_queue}",
        )
        # The service's own client: payloads encrypted by its codec, as the API and the worker send them.
        client = await connect_temporal(settings)
        maventa = MaventaClient(maventa_url, settings.maventa_vendor_api_key, timeout_s=10)
        netvisor = NetvisorClient(
            netvisor_url,
            sender=settings.netvisor_sender,
            partner_id=settings.netvisor_partner_id,
            partner_key=settings.netvisor_partner_key,
            customer_id=settings.netvisor_customer_id,
            customer_key=settings.netvisor_customer_key,
            timeout_s=5,
        )
        stack = Inbound(
            settings=settings,
            client=client,
            sessions=sessions,
            maventa=maventa,
            netvisor=netvisor,
            maventa_http=maventa_http,
            netvisor_http=netvisor_http,
        )
        try:
            yield stack
        finally:
            with contextlib.suppress(RPCError):
                await stack.inbox.terminate("test over")
            await maventa.aclose()
            await netvisor.aclose()
            sessions.dispose()
