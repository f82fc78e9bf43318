"""Activities that answer at once, registered under the real names, so workflows run on the time-skipping
server: every account step succeeds, the banks confirm at the first request, Maventa's queue is empty.

Costs are read from the workflow's history, which these do not change: an activity is one action whether it
calls Maventa or not.
"""

from collections.abc import Callable
from typing import Any

from temporalio import activity

from workflows.connection_models import (
    AccountRef,
    Authorization,
    AuthorizationCheck,
    BusinessIdLookup,
    BusinessIdStatus,
    CreatedAccount,
    InvoicingAddresses,
    InvoicingAddressesSet,
    Networks,
    NewAccount,
    NewUser,
    PeppolRegistration,
    Projection,
    StoredCredentials,
)
from workflows.inbox_models import ImportBatch, ImportOutcome, QueueRequest, QueueSnapshot

ALL_ACTIVE = {"VISMA": "active", "SCAN": "active", "BANK": "active"}


@activity.defn(name="look_up_business_id")
async def look_up_business_id(lookup: BusinessIdLookup) -> BusinessIdStatus:
    return BusinessIdStatus(taken_elsewhere=False)


@activity.defn(name="create_maventa_user")
async def create_maventa_user(user: NewUser) -> StoredCredentials:
    return StoredCredentials(credentials_ref=f"bench-{user.company_id}", api_key_masked="****bnch")


@activity.defn(name="create_maventa_company")
async def create_maventa_company(new: NewAccount) -> CreatedAccount:
    return CreatedAccount(company_uuid=f"bench-{new.company_id}")


@activity.defn(name="authorization_status")
async def authorization_status(check: AuthorizationCheck) -> Authorization:
    return Authorization(auth_state="SIGNED", company_state="VERIFIED")


@activity.defn(name="link_vendor")
async def link_vendor(account: AccountRef) -> None:
    return None


@activity.defn(name="open_receiving")
async def open_receiving(account: AccountRef) -> Networks:
    return Networks(statuses={"VISMA": "active", "SCAN": "active"}, scan_address="bench@scan.test")


@activity.defn(name="register_peppol")
async def register_peppol(registration: PeppolRegistration) -> Networks:
    return Networks(statuses={"PEPPOL": "active"})


@activity.defn(name="request_bank_network")
async def request_bank_network(account: AccountRef) -> Networks:
    return Networks(statuses=ALL_ACTIVE)


@activity.defn(name="check_networks")
async def check_networks(account: AccountRef) -> Networks:
    return Networks(statuses=ALL_ACTIVE)


@activity.defn(name="update_invoicing_addresses")
async def update_invoicing_addresses(company: InvoicingAddresses) -> InvoicingAddressesSet:
    return InvoicingAddressesSet(
        einvoice_address="0037" + company.business_id.replace("-", ""), operator="003721291126"
    )


@activity.defn(name="record_company")
async def record_company(projection: Projection) -> None:
    return None


@activity.defn(name="read_received_queue")
async def read_received_queue(request: QueueRequest) -> QueueSnapshot:
    return QueueSnapshot()


@activity.defn(name="import_received")
async def import_received(batch: ImportBatch) -> ImportOutcome:
    return ImportOutcome()


STANDINS: list[Callable[..., Any]] = [
    look_up_business_id,
    create_maventa_user,
    create_maventa_company,
    authorization_status,
    link_vendor,
    open_receiving,
    register_peppol,
    request_bank_network,
    check_networks,
    update_invoicing_addresses,
    record_company,
    read_received_queue,
    import_received,
]
