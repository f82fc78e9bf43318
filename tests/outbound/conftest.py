"""The outbound path as it runs: the API, a worker, the Maventa and Netvisor sandboxes, on loopback sockets.

One stack serves the whole package; every test acts for its own company (a fresh business id at the Maventa
sandbox, a projection row in the store) and its own invoice keys, so tests never see each other's invoices.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.sales_invoice import SalesInvoiceActivities
from clients.maventa import MaventaClient, MaventaCredentials
from clients.netvisor import NetvisorClient
from sandbox.maventa import create_app as create_maventa_sandbox
from sandbox.maventa.config import MaventaSandboxConfig
from sandbox.netvisor import NetvisorSandboxConfig
from sandbox.netvisor import create_app as create_netvisor_sandbox
from settings import Settings
from starters.api.app import create_app
from store.companies import CompanyChanges, upsert_company
from store.database import Sessions, unit_of_work
from store.sales_invoice_documents import OutboundDocuments
from store.schema import migrate
from store.vault import put_secret
from tests.support import new_business_id, serving
from workers.client import connect_temporal
from workers.keep_alive import KeepAliveInterceptor
from workflows.sales_invoice import SalesInvoiceWorkflow
from workflows.sales_invoice_models import DELIVERED_EVENT, FAILED_EVENT

NETVISOR_TOKEN = "test-netvisor-token"
WEBHOOK_SECRET = "test-webhook-secret"
T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout_s: float = 20.0) -> T:
    """Poll until probe answers something truthy; fail with the last answer after timeout_s."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        answer = await probe()
        if answer:
            return answer
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"condition not met within {timeout_s} s")
        await asyncio.sleep(0.1)


class LossyNetwork(httpx.AsyncBaseTransport):
    """Delivers requests, then loses the next `answers_to_lose` answers to uploads: the client sees a timeout
    although Maventa made the invoice (the uncertain outcome an idempotency key exists for)."""

    def __init__(self) -> None:
        self._transport = httpx.AsyncHTTPTransport()
        self.answers_to_lose = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._transport.handle_async_request(request)
        if self.answers_to_lose and request.method == "POST" and request.url.path == "/v1/invoices":
            await response.aread()
            await response.aclose()
            self.answers_to_lose -= 1
            raise httpx.ReadTimeout("the answer was lost on the way back", request=request)
        return response

    async def aclose(self) -> None:
        await self._transport.aclose()


@dataclass
class TestCompany:
    company_id: str
    business_id: str
    credentials: MaventaCredentials


@dataclass
class Stack:
    api: httpx.AsyncClient
    sandbox: httpx.AsyncClient
    maventa_url: str
    netvisor_url: str
    webhook_url: str
    client: Client
    sessions: Sessions
    settings: Settings
    maventa: MaventaClient
    network: LossyNetwork

    async def company(
        self, state: str = "ACTIVE", *, shown_state: str | None = None, webhooks: bool = True
    ) -> TestCompany:
        """A company with a Maventa account at the sandbox and the given lifecycle state in the projection;
        `shown_state` is what support sees, e.g. NEEDS_SUPPORT (default: the same)."""
        business_id = new_business_id()
        company_id = f"nv-{uuid.uuid4().hex[:12]}"
        created = await self.sandbox.post(
            f"{self.maventa_url}/_sandbox/accounts", json={"business_id": business_id, "name": "Myyjä Oy"}
        )
        created.raise_for_status()
        account = created.json()
        credentials = MaventaCredentials(
            company_uuid=account["company_uuid"], user_api_key=SecretStr(account["user_api_key"])
        )

        def record() -> None:
            with unit_of_work(self.sessions) as session:
                ref = put_secret(session, company_id, "maventa_user_api_key", credentials.user_api_key)
                upsert_company(
                    session,
                    company_id,
                    CompanyChanges(
                        business_id=business_id,
                        name="Myyjä Oy",
                        state=shown_state or state,
                        lifecycle_state=state,
                        maventa_company_uuid=credentials.company_uuid,
                        credentials_ref=ref,
                    ),
                )

        await asyncio.to_thread(record)
        if webhooks:
            await self.maventa.subscribe_notifications(
                credentials, self.webhook_url, [DELIVERED_EVENT, FAILED_EVENT], destination_type="WEBHOOK"
            )
        return TestCompany(company_id=company_id, business_id=business_id, credentials=credentials)

    async def sent_at_maventa(self, business_id: str) -> list[dict[str, Any]]:
        url = f"{self.maventa_url}/_sandbox/companies/{business_id}/sent-invoices"
        response = await self.sandbox.get(url)
        response.raise_for_status()
        return list(response.json())

    async def netvisor_status(self, invoice_key: str) -> dict[str, Any] | None:
        response = await self.sandbox.get(f"{self.netvisor_url}/_sandbox/sales-invoices/{invoice_key}")
        return dict(response.json()) if response.status_code == 200 else None

    async def netvisor_says(self, invoice_key: str, status: str) -> dict[str, Any] | None:
        """Netvisor's record of the invoice once it shows `status` (it is told after the workflow knows)."""
        reported = await self.netvisor_status(invoice_key)
        return reported if reported is not None and reported["status"] == status else None

    async def status(self, company_id: str, invoice_key: str) -> dict[str, Any]:
        response = await self.api.get(f"/v1/companies/{company_id}/sales-invoices/{invoice_key}")
        response.raise_for_status()
        return dict(response.json())

    async def settled(self, company_id: str, invoice_key: str, status: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            view = await self.status(company_id, invoice_key)
            return view if view["status"] == status else None

        return await eventually(probe)

    async def maventa_control(self, path: str, body: dict[str, Any] | None = None) -> None:
        response = await self.sandbox.request(
            "PUT" if path == "faults" else "POST", f"{self.maventa_url}/_sandbox/{path}", json=body
        )
        response.raise_for_status()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def stack(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    folder: Path = tmp_path_factory.mktemp("outbound")
    api_data: Path = tmp_path_factory.mktemp("api-data")
    store_url = f"sqlite:///{folder / 'service.db'}"
    await asyncio.to_thread(migrate, store_url)
    netvisor_config = NetvisorSandboxConfig(database_url=f"sqlite:///{folder / 'netvisor.db'}")
    maventa_config = MaventaSandboxConfig(database_url=f"sqlite:///{folder / 'maventa.db'}")
    async with AsyncExitStack() as exits:
        maventa_url = await exits.enter_async_context(serving(create_maventa_sandbox(maventa_config)))
        netvisor_url = await exits.enter_async_context(serving(create_netvisor_sandbox(netvisor_config)))
        # The API has a data folder of its own and the worker none: they share only the database.
        settings = Settings(
            data_dir=api_data,
            database_url=store_url,
            temporal_address=temporal_env.client.service_client.config.target_host,
            temporal_task_queue=f"outbound-{uuid.uuid4()}",
            api_netvisor_token=SecretStr(NETVISOR_TOKEN),
            api_webhook_secret=SecretStr(WEBHOOK_SECRET),
            maventa_base_url=maventa_url,
            netvisor_base_url=netvisor_url,
            netvisor_partner_id=netvisor_config.partner_id,
            netvisor_partner_key=netvisor_config.partner_key,
            netvisor_customer_id=netvisor_config.customer_id,
            netvisor_customer_key=netvisor_config.customer_key,
        )
        sessions = Sessions.for_url(store_url)
        exits.callback(sessions.dispose)
        client = await connect_temporal(settings)
        network = LossyNetwork()
        http = await exits.enter_async_context(httpx.AsyncClient(transport=network))
        # The client's own timeout: the sandbox shares this test's event loop with the API and the workers,
        # and on a busy machine 16 uploads at once can take over a second to be answered.
        maventa = MaventaClient(maventa_url, settings.maventa_vendor_api_key, http=http)
        netvisor = NetvisorClient.from_settings(settings)
        exits.push_async_callback(netvisor.aclose)
        activities = SalesInvoiceActivities(maventa, netvisor, sessions, OutboundDocuments(sessions))
        worker = Worker(
            client,
            task_queue=settings.temporal_task_queue,
            workflows=[SalesInvoiceWorkflow],
            activities=[activities.report_status],
            interceptors=[KeepAliveInterceptor()],
        )
        await exits.enter_async_context(worker)
        # The activities that call Maventa run only on the Maventa task queue, as in the worker process.
        maventa_worker = Worker(
            client,
            task_queue=settings.maventa_task_queue,
            activities=[activities.upload_sales_invoice, activities.check_delivery],
            interceptors=[KeepAliveInterceptor()],
        )
        await exits.enter_async_context(maventa_worker)
        api_url = await exits.enter_async_context(serving(create_app(settings)))
        api = await exits.enter_async_context(
            httpx.AsyncClient(
                base_url=api_url, headers={"Authorization": f"Bearer {NETVISOR_TOKEN}"}, timeout=30
            )
        )
        sandbox = await exits.enter_async_context(httpx.AsyncClient(timeout=30))
        yield Stack(
            api=api,
            sandbox=sandbox,
            maventa_url=maventa_url,
            netvisor_url=netvisor_url,
            webhook_url=f"{api_url}/v1/webhooks/maventa/{WEBHOOK_SECRET}",
            client=client,
            sessions=sessions,
            settings=settings,
            maventa=maventa,
            network=network,
        )
