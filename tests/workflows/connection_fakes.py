"""Stand-ins for the connection workflow's activities, registered by name (samples-python style).

A test sets the flags to play Maventa and Netvisor, then reads what the workflow asked for.
"""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from workers.registry import MAVENTA_ACTIVITIES
from workflows.connection import ConnectionWorkflow, workflow_id
from workflows.connection_models import (
    AccountRef,
    AccountView,
    Address,
    Authorization,
    AuthorizationCheck,
    AuthorizationRequest,
    BusinessIdLookup,
    BusinessIdStatus,
    CompanyRef,
    CompanyReport,
    ConnectionInput,
    CreatedAccount,
    Forgotten,
    InvoicingAddresses,
    InvoicingAddressesSet,
    LinkAccount,
    Modules,
    Networks,
    NewAccount,
    NewUser,
    PeppolRegistration,
    Projection,
    ReleaseSummary,
    StoredCredentials,
)

BUSINESS_ID = "1572860-0"


def company_report(*, sales: bool = True, purchases: bool = False, name: str = "Testi Oy") -> CompanyReport:
    return CompanyReport(
        business_id=BUSINESS_ID,
        name=name,
        email="talous@testi.fi",
        address=Address(street="Testikatu 1", post_code="00100", city="Helsinki"),
        modules=Modules(sales=sales, purchases=purchases),
    )


class FakeServices:
    """Maventa and Netvisor as the activities see them; every call is counted by activity name."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.business_id_taken = False
        self.maventa_down = False
        self.company_refusal: str | None = None
        self.bank_confirmed = False
        self.bank_checked_at: list[datetime] = []
        self.addresses: list[InvoicingAddressesSet] = []
        self.projections: list[Projection] = []
        self.link_refusal: str | None = None
        self.unlink_refusal: str | None = None
        self.linked: list[LinkAccount] = []
        self.unlinked: list[AccountRef] = []
        self.forgotten: list[str] = []

    def _maventa_answers(self) -> None:
        if self.maventa_down:
            raise ApplicationError("Maventa was unavailable: 503", type="MaventaUnavailable")

    def _networks(self) -> dict[str, str]:
        return {"VISMA": "active", "SCAN": "active", "BANK": "active" if self.bank_confirmed else "pending"}

    def activities(self) -> list[Callable[..., Any]]:
        @activity.defn(name="look_up_business_id")
        async def look_up_business_id(lookup: BusinessIdLookup) -> BusinessIdStatus:
            self.calls["look_up_business_id"] += 1
            self._maventa_answers()
            return BusinessIdStatus(taken_elsewhere=self.business_id_taken)

        @activity.defn(name="create_maventa_user")
        async def create_maventa_user(user: NewUser) -> StoredCredentials:
            self.calls["create_maventa_user"] += 1
            return StoredCredentials(credentials_ref=f"secret-{user.company_id}", api_key_masked="****k3y9")

        @activity.defn(name="create_maventa_company")
        async def create_maventa_company(new: NewAccount) -> CreatedAccount:
            self.calls["create_maventa_company"] += 1
            self._maventa_answers()
            if self.company_refusal:
                raise ApplicationError(self.company_refusal, type="MaventaRequestError", non_retryable=True)
            return CreatedAccount(company_uuid=str(uuid.uuid5(uuid.NAMESPACE_OID, new.company_id)))

        @activity.defn(name="authorization_status")
        async def authorization_status(check: AuthorizationCheck) -> Authorization:
            self.calls["authorization_status"] += 1
            if self.calls["request_authorization"]:
                return Authorization(auth_state="SIGNED", company_state="VERIFIED")
            return Authorization(auth_state="NONE", company_state="UNVERIFIED")

        @activity.defn(name="request_authorization")
        async def request_authorization(request: AuthorizationRequest) -> Authorization:
            """Maventa's answer to the request says nothing of the state (as the real activity's)."""
            self.calls["request_authorization"] += 1
            return Authorization()

        @activity.defn(name="link_vendor")
        async def link_vendor(account: AccountRef) -> None:
            self.calls["link_vendor"] += 1

        @activity.defn(name="open_receiving")
        async def open_receiving(account: AccountRef) -> Networks:
            self.calls["open_receiving"] += 1
            return Networks(
                statuses={"VISMA": "active", "SCAN": "active"}, scan_address="1572860-0@scan.test"
            )

        @activity.defn(name="register_peppol")
        async def register_peppol(registration: PeppolRegistration) -> Networks:
            self.calls["register_peppol"] += 1
            return Networks(statuses={"PEPPOL": "active"})

        @activity.defn(name="unregister_peppol")
        async def unregister_peppol(account: AccountRef) -> None:
            self.calls["unregister_peppol"] += 1

        @activity.defn(name="request_bank_network")
        async def request_bank_network(account: AccountRef) -> Networks:
            self.calls["request_bank_network"] += 1
            return Networks(statuses=self._networks())

        @activity.defn(name="check_networks")
        async def check_networks(account: AccountRef) -> Networks:
            self.calls["check_networks"] += 1
            self.bank_checked_at.append(activity.info().current_attempt_scheduled_time)
            return Networks(statuses=self._networks())

        @activity.defn(name="update_invoicing_addresses")
        async def update_invoicing_addresses(company: InvoicingAddresses) -> InvoicingAddressesSet:
            self.calls["update_invoicing_addresses"] += 1
            addresses = InvoicingAddressesSet(
                einvoice_address="0037" + company.business_id.replace("-", ""), operator="003721291126"
            )
            self.addresses.append(addresses)
            return addresses

        @activity.defn(name="record_company")
        async def record_company(projection: Projection) -> None:
            self.calls["record_company"] += 1
            self.projections.append(projection)

        @activity.defn(name="link_existing_account")
        async def link_existing_account(link: LinkAccount) -> Networks:
            self.calls["link_existing_account"] += 1
            self._maventa_answers()
            if self.link_refusal:
                raise ApplicationError(self.link_refusal, type="MaventaRequestError", non_retryable=True)
            self.linked.append(link)
            return Networks(statuses={"VISMA": "active", "BANK": "active"})

        @activity.defn(name="unlink_vendor")
        async def unlink_vendor(account: AccountRef) -> None:
            self.calls["unlink_vendor"] += 1
            self._maventa_answers()
            if self.unlink_refusal:
                raise ApplicationError(self.unlink_refusal, type="MaventaRequestError", non_retryable=True)
            self.unlinked.append(account)

        @activity.defn(name="forget_credentials")
        async def forget_credentials(company: CompanyRef) -> Forgotten:
            self.calls["forget_credentials"] += 1
            self.forgotten.append(company.company_id)
            return Forgotten(secrets_deleted=1)

        return [
            link_existing_account,
            unlink_vendor,
            forget_credentials,
            look_up_business_id,
            create_maventa_user,
            create_maventa_company,
            authorization_status,
            request_authorization,
            link_vendor,
            open_receiving,
            register_peppol,
            unregister_peppol,
            request_bank_network,
            check_networks,
            update_invoicing_addresses,
            record_company,
        ]


@asynccontextmanager
async def connection_running(
    client: Client, fakes: FakeServices, report: CompanyReport, **options: Any
) -> AsyncIterator[WorkflowHandle[ConnectionWorkflow, ReleaseSummary]]:
    """Workers with the fakes and a started connection workflow for a fresh company id.

    The fakes that play Maventa run only on the Maventa task queue and the others only on the main one, so
    an activity the workflow sends to the wrong queue is never run and the test fails.
    """
    task_queue = f"connection-{uuid.uuid4()}"
    maventa_task_queue = f"{task_queue}-maventa"
    company_id = f"c{uuid.uuid4().hex[:12]}"
    activities = fakes.activities()
    async with (
        Worker(
            client,
            task_queue=task_queue,
            workflows=[ConnectionWorkflow],
            activities=[a for a in activities if a.__name__ not in MAVENTA_ACTIVITIES],
        ),
        Worker(
            client,
            task_queue=maventa_task_queue,
            activities=[a for a in activities if a.__name__ in MAVENTA_ACTIVITIES],
        ),
    ):
        handle = await client.start_workflow(
            ConnectionWorkflow.run,
            ConnectionInput(
                company_id=company_id, company=report, maventa_task_queue=maventa_task_queue, **options
            ),
            id=workflow_id(company_id),
            task_queue=task_queue,
        )
        yield handle
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate("test over")


async def view_when(
    handle: WorkflowHandle[ConnectionWorkflow, ReleaseSummary],
    ready: Callable[[AccountView], bool],
    within_s: float = 10,
) -> AccountView:
    """The account view once `ready` holds (polled in real time; the test fails if it never does)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        view = await handle.query(ConnectionWorkflow.account)
        if ready(view):
            return view
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"the connection never got there; last view: {view.model_dump_json(indent=1)}"
            )
        await asyncio.sleep(0.05)
