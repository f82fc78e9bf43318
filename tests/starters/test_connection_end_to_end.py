"""Founding to CONNECTED through the HTTP API, with the real worker, both sandboxes and the dev server."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from sandbox.netvisor import create_app as create_netvisor_sandbox
from settings import Settings
from starters import inbound
from starters.api.app import create_app
from store.schema import migrate
from tests.sandbox.maventa import serving as maventa
from tests.sandbox.netvisor import serving as netvisor
from workers.client import connect_temporal
from workers.dependencies import open_dependencies
from workers.worker import build_maventa_worker, build_worker
from workflows.inbox import InboxWorkflow
from workflows.inbox_models import ReceivedNotice

NETVISOR = {"Authorization": "Bearer e2e-netvisor-token"}
SUPPORT = {"Authorization": "Bearer e2e-support-token"}


@dataclass
class Stack:
    api: httpx.AsyncClient
    maventa: maventa.MaventaSandbox
    netvisor: httpx.AsyncClient
    temporal: Client
    settings: Settings
    api_url: str


@asynccontextmanager
async def running_stack(temporal_env: WorkflowEnvironment, data_dir: Path) -> AsyncIterator[Stack]:
    async with (
        maventa.running_sandbox() as maventa_sandbox,
        netvisor.serve(create_netvisor_sandbox(netvisor.sandbox_config())) as netvisor_url,
    ):
        settings = Settings(
            data_dir=data_dir,
            database_url=f"sqlite:///{data_dir / 'service.db'}",
            api_netvisor_token=SecretStr("e2e-netvisor-token"),
            api_support_token=SecretStr("e2e-support-token"),
            temporal_address=temporal_env.client.service_client.config.target_host,
            temporal_task_queue=(queue := f"e2e-{uuid.uuid4()}"),
            inbound_workflow_id=f"maventa-inbox-{queue}",
            maventa_base_url=maventa_sandbox.url,
            maventa_vendor_api_key=SecretStr(maventa.VENDOR_KEY),
            maventa_partner_company_uuid=maventa.PARTNER_UUID,
            maventa_partner_user_api_key=SecretStr(maventa.PARTNER_USER_KEY),
            netvisor_base_url=netvisor_url,
            netvisor_partner_id=netvisor.PARTNER_ID,
            netvisor_partner_key=SecretStr(netvisor.PARTNER_KEY),
            netvisor_customer_id=netvisor.CUSTOMER_ID,
            netvisor_customer_key=SecretStr(netvisor.CUSTOMER_KEY),
        )
        migrate(settings.store_url)
        client = await connect_temporal(settings)
        async with (
            open_dependencies(settings) as dependencies,
            build_worker(client, settings, dependencies),
            build_maventa_worker(client, settings, dependencies),
            maventa.serve(create_app(settings)) as api_url,
            httpx.AsyncClient(base_url=api_url, timeout=30) as api,
            httpx.AsyncClient(base_url=netvisor_url, timeout=10) as netvisor_http,
        ):
            yield Stack(
                api=api,
                maventa=maventa_sandbox,
                netvisor=netvisor_http,
                temporal=client,
                settings=settings,
                api_url=api_url,
            )


def company(business_id: str, *, purchases: bool = True) -> dict[str, Any]:
    return {
        "business_id": business_id,
        "name": "Päästä Päähän Oy",
        "email": "talous@paasta.fi",
        "address": {"street": "Testikatu 1", "post_code": "00100", "city": "Helsinki", "country": "FI"},
        "modules": {"sales": True, "purchases": purchases},
    }


async def eventually(check: Callable[[], Awaitable[Any]], within_s: float = 20) -> Any:
    """The first truthy result of `check`, polled; fails the test if there is none in time."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        result = await check()
        if result:
            return result
        assert asyncio.get_running_loop().time() < deadline, "gave up waiting"
        await asyncio.sleep(0.2)


async def test_a_company_put_through_the_api_reaches_connected(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    company_id = f"e2e-{uuid.uuid4().hex[:8]}"
    bid = maventa.business_id()
    async with running_stack(temporal_env, tmp_path) as stack:
        without_token = await stack.api.put(f"/v1/companies/{company_id}", json=company(bid))
        bad_business_id = await stack.api.put(
            f"/v1/companies/{company_id}", json=company("1572860-1"), headers=NETVISOR
        )
        unknown = await stack.api.get(f"/v1/companies/{company_id}/maventa", headers=NETVISOR)

        accepted = await stack.api.put(f"/v1/companies/{company_id}", json=company(bid), headers=NETVISOR)

        async def receiving() -> dict[str, Any] | None:
            view = (await stack.api.get(f"/v1/companies/{company_id}/maventa", headers=NETVISOR)).json()
            return view if view["state"] == "RECEIVING" else None

        waiting = await eventually(receiving)
        await stack.maventa.control("POST", f"/companies/{bid}/bank-network/confirm")
        checked = await stack.api.post(
            f"/v1/support/companies/{company_id}/bank-network/check",
            json={"requested_by": "tuki.body"},
            headers=SUPPORT,
        )
        connected = (await stack.api.get(f"/v1/companies/{company_id}/maventa", headers=NETVISOR)).json()
        addresses = (await stack.netvisor.get(f"/_sandbox/companies/{bid}/invoicing-addresses")).json()

        async def found_by_visibility() -> list[str]:
            # The running run: a run that continued as new (60 events in the test server) is listed too.
            query = (
                f"MaventaState='CONNECTED' AND NetvisorCompanyId='{company_id}' AND ExecutionStatus='Running'"
            )
            return [execution.id async for execution in stack.temporal.list_workflows(query)]

        listed = await eventually(found_by_visibility)
        support_list = (await stack.api.get("/v1/support/companies?state=CONNECTED", headers=SUPPORT)).json()
        retry = f"/v1/support/companies/{company_id}/retry"
        nameless = await stack.api.post(retry, headers=SUPPORT)
        nameless_body = await stack.api.post(retry, json={}, headers=SUPPORT)
        retry_refused = await stack.api.post(retry, headers=SUPPORT | {"X-Support-User": "tuki.anna"})
        recent = (await stack.api.get(f"/v1/support/companies/{company_id}", headers=SUPPORT)).json()

    assert without_token.status_code == 401
    assert bad_business_id.status_code == 422
    assert bad_business_id.json()["error"]["code"] == "invalid_business_id"
    assert "business_id" in bad_business_id.json()["error"]["message"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_company"

    assert accepted.status_code == 202
    assert accepted.json() == {
        "company_id": company_id,
        "workflow_id": f"maventa-connection-{company_id}",
        "state": "PROVISIONING",
    }
    assert waiting["bank_network"]["deadline"] is not None and waiting["networks"]["bank"] == "pending"
    assert waiting["networks"]["operator"] == "active" and waiting["networks"]["scan"] == "active"
    assert waiting["api_key_masked"].startswith("****") and len(waiting["api_key_masked"]) == 8

    assert checked.status_code == 200 and checked.json()["state"] == "CONNECTED"
    assert connected["state"] == "CONNECTED"
    assert connected["einvoice_address"] == "0037" + bid.replace("-", "")
    assert connected["operator"] == "003721291126"
    assert connected["sending_allocated"] is True
    assert [(a["einvoice_address"], a["operator"]) for a in addresses] == [
        (connected["einvoice_address"], "003721291126")
    ]
    assert listed == [f"maventa-connection-{company_id}"]
    assert company_id in [row["company_id"] for row in support_list["companies"]]
    assert retry_refused.status_code == 409 and "Nothing to retry" in retry_refused.json()["error"]["message"]
    for answer in (nameless, nameless_body):
        assert (answer.status_code, answer.json()["error"]["code"]) == (422, "support_user_required")
    asked = [(a["action"], a["requested_by"]) for a in recent["account"]["recent_actions"]]
    assert ("check_bank_network_now", "tuki.body") in asked


async def test_a_peppol_invoice_to_a_connected_company_arrives_in_netvisor_exactly_once(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """Receiving opens with the company registered on PEPPOL (R2), the account view shows it (R9), a Peppol
    invoice reaches Netvisor once however often the sweep runs, and a release unregisters it (R15)."""
    company_id = f"e2e-{uuid.uuid4().hex[:8]}"
    bid = maventa.business_id()
    path = f"/v1/companies/{company_id}/maventa"
    async with running_stack(temporal_env, tmp_path) as stack:
        await stack.api.put(f"/v1/companies/{company_id}", json=company(bid), headers=NETVISOR)

        async def receiving() -> dict[str, Any] | None:
            view = (await stack.api.get(path, headers=NETVISOR)).json()
            return view if view["state"] == "RECEIVING" else None

        opened = await eventually(receiving)
        await stack.maventa.control("POST", f"/companies/{bid}/bank-network/confirm")
        await stack.api.post(
            f"/v1/support/companies/{company_id}/bank-network/check",
            headers=SUPPORT | {"X-Support-User": "tuki"},
        )
        profiles = (await stack.maventa.control("GET", f"/companies/{bid}"))["profiles"]
        [arrived] = await stack.maventa.receive(bid, channel="PEPPOL")

        async def in_netvisor() -> list[dict[str, Any]]:
            rows = (await stack.netvisor.get(f"/_sandbox/companies/{bid}/purchase-invoices")).json()
            return [row for row in rows if f"Maventa invoice id: {arrived}" in row["comment"]]

        inbox = stack.temporal.get_workflow_handle_for(InboxWorkflow.run, stack.settings.inbound_workflow_id)
        for rounds in (1, 2):
            await inbound.wake(stack.temporal, stack.settings, ReceivedNotice(invoice_id=arrived))
            imported = await eventually(in_netvisor)
            await eventually(_rounds_done(inbox, rounds))
        once = await in_netvisor()
        released = await stack.api.post(
            f"/v1/support/companies/{company_id}/release", headers=SUPPORT | {"X-Support-User": "tuki.anna"}
        )
        after_release = (await stack.maventa.control("GET", f"/companies/{bid}"))["profiles"]
        refused = await stack.maventa.http.post(
            f"/_sandbox/companies/{bid}/received-invoices", json={"channel": "PEPPOL"}
        )
        await inbox.terminate("test over")

    assert opened["networks"]["peppol"] == "active"
    peppol = next(p for p in profiles if p["network"] == "PEPPOL")
    assert (peppol["scheme"], peppol["endpoint_id"]) == ("0216", "0037" + bid.replace("-", ""))
    assert len(imported) == 1 and len(once) == 1
    assert released.status_code == 200 and released.json()["state"] == "RELEASED"
    assert "PEPPOL" not in {p["network"] for p in after_release}
    assert refused.status_code == 409 and "PEPPOL" in refused.json()["message"]


def _rounds_done(inbox: Any, rounds: int) -> Callable[[], Awaitable[bool]]:
    """Whether the sweep has made this many rounds and has none due."""

    async def check() -> bool:
        status = await inbox.query(InboxWorkflow.status)
        return bool(status.rounds >= rounds and not status.wake)

    return check
