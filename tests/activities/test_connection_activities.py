"""The connection's activities against the Maventa and Netvisor sandboxes over HTTP, with a real store."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.account import AccountActivities, maventa_user_email
from activities.addresses import AddressActivities
from activities.bank_network import BankNetworkActivities
from activities.projection import ProjectionActivities
from activities.receiving import ReceivingActivities
from clients.netvisor import NetvisorClient
from sandbox.netvisor import create_app as create_netvisor_sandbox
from store.companies import get_company
from store.database import Sessions, unit_of_work
from store.schema import migrate
from store.vault import get_secret
from tests.sandbox.maventa.serving import MaventaSandbox, business_id, maventa_client, running_sandbox
from tests.sandbox.netvisor import serving as netvisor
from workflows.connection_models import (
    AccountRef,
    Address,
    AuthorizationCheck,
    AuthorizationRequest,
    BusinessIdLookup,
    CompanyReport,
    InvoicingAddresses,
    Modules,
    NewAccount,
    NewUser,
    Projection,
)
from workflows.connection_policy import ConnectionStatus, ImportMode


@dataclass
class Services:
    maventa: MaventaSandbox
    sessions: Sessions
    account: AccountActivities
    receiving: ReceivingActivities
    bank_network: BankNetworkActivities
    projection: ProjectionActivities


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[Sessions]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    migrate(url)
    factory = Sessions.for_url(url)
    yield factory
    factory.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def services(sessions: Sessions) -> AsyncIterator[Services]:
    async with running_sandbox() as sandbox, maventa_client(sandbox.url) as client:
        yield Services(
            maventa=sandbox,
            sessions=sessions,
            account=AccountActivities(client, sessions, sandbox.partner),
            receiving=ReceivingActivities(client, sessions),
            bank_network=BankNetworkActivities(client, sessions),
            projection=ProjectionActivities(sessions),
        )


def report(bid: str, name: str = "Testi Oy") -> CompanyReport:
    return CompanyReport(
        business_id=bid,
        name=name,
        email="talous@testi.fi",
        address=Address(street="Testikatu 1", post_code="00100", city="Helsinki"),
        modules=Modules(sales=True, purchases=True),
    )


async def provision(services: Services, company_id: str, bid: str) -> AccountRef:
    """R1's steps in the workflow's order, as a worker would run them."""
    env = ActivityEnvironment()
    account = services.account
    await env.run(account.look_up_business_id, BusinessIdLookup(company_id=company_id, business_id=bid))
    stored = await env.run(
        account.create_maventa_user, NewUser(company_id=company_id, email="talous@testi.fi", name="Testi Oy")
    )
    created = await env.run(
        account.create_maventa_company,
        NewAccount(company_id=company_id, credentials_ref=stored.credentials_ref, company=report(bid)),
    )
    ref = AccountRef(
        company_id=company_id, company_uuid=created.company_uuid, credentials_ref=stored.credentials_ref
    )
    await env.run(
        account.authorize_company,
        AuthorizationRequest(account=ref, business_id=bid, auth_email="talous@testi.fi"),
    )
    await env.run(account.link_vendor, ref)
    return ref


async def test_provisioning_creates_a_verified_vendor_linked_account_with_the_key_only_in_the_vault(
    services: Services,
) -> None:
    bid = business_id()
    ref = await provision(services, "company-1", bid)

    at_maventa = await services.maventa.control("GET", f"/companies/{bid}")
    with unit_of_work(services.sessions) as session:
        row = get_company(session, "company-1")
        key = get_secret(session, ref.credentials_ref)
    assert at_maventa["company_uuid"] == ref.company_uuid
    assert at_maventa["company_state"] == "VERIFIED"
    assert at_maventa["vendor_linked"] is True
    assert [user["email"] for user in at_maventa["users"]] == ["talous+netvisor-company-1@testi.fi"]
    assert row is not None and row.maventa_company_uuid == ref.company_uuid
    assert row.credentials_ref == ref.credentials_ref
    assert key.get_secret_value() not in ref.model_dump_json()


async def test_authorization_in_single_request_steps_verifies_the_company(services: Services) -> None:
    """The steps new runs take: the state, the partner's KYC request (its answer leaves the state unknown),
    and a check that fails retryably until the company is verified."""
    bid = business_id()
    env = ActivityEnvironment()
    account = services.account
    stored = await env.run(
        account.create_maventa_user, NewUser(company_id="company-kyc", email="talous@testi.fi", name="Oy")
    )
    created = await env.run(
        account.create_maventa_company,
        NewAccount(company_id="company-kyc", credentials_ref=stored.credentials_ref, company=report(bid)),
    )
    ref = AccountRef(
        company_id="company-kyc", company_uuid=created.company_uuid, credentials_ref=stored.credentials_ref
    )
    before = await env.run(account.authorization_status, AuthorizationCheck(account=ref))
    with pytest.raises(ApplicationError) as pending:
        await env.run(account.authorization_status, AuthorizationCheck(account=ref, until_verified=True))
    after = await env.run(
        account.request_authorization,
        AuthorizationRequest(account=ref, business_id=bid, auth_email="talous@testi.fi"),
    )
    verified = await env.run(
        account.authorization_status, AuthorizationCheck(account=ref, until_verified=True)
    )

    assert not before.verified and not before.under_way
    assert pending.value.type == "AuthorizationPending" and not pending.value.non_retryable
    assert (after.auth_state, after.company_state) == (None, None)
    assert verified.verified


async def test_resumed_provisioning_creates_no_second_user_or_company(services: Services) -> None:
    bid = business_id()
    env = ActivityEnvironment()
    ref = await provision(services, "company-2", bid)

    again = await env.run(
        services.account.create_maventa_user,
        NewUser(company_id="company-2", email="talous@testi.fi", name="Testi Oy"),
    )
    created_again = await env.run(
        services.account.create_maventa_company,
        NewAccount(company_id="company-2", credentials_ref=ref.credentials_ref, company=report(bid)),
    )
    lookup = await env.run(
        services.account.look_up_business_id, BusinessIdLookup(company_id="company-2", business_id=bid)
    )
    at_maventa = await services.maventa.control("GET", f"/companies/{bid}")

    assert again.credentials_ref == ref.credentials_ref
    assert created_again.company_uuid == ref.company_uuid
    assert not lookup.taken_elsewhere and lookup.our_company_uuid == ref.company_uuid
    assert len(at_maventa["users"]) == 1


async def test_a_business_id_with_an_account_elsewhere_is_taken(services: Services) -> None:
    bid, _ = await services.maventa.account("Muualla Oy")
    free = business_id()
    env = ActivityEnvironment()

    taken = await env.run(
        services.account.look_up_business_id, BusinessIdLookup(company_id="c-3", business_id=bid)
    )
    not_taken = await env.run(
        services.account.look_up_business_id, BusinessIdLookup(company_id="c-4", business_id=free)
    )

    assert taken.taken_elsewhere and taken.our_company_uuid is None
    assert not not_taken.taken_elsewhere


async def test_maventa_5xx_is_retryable_and_4xx_is_not(services: Services) -> None:
    env = ActivityEnvironment()
    bid = business_id()
    await services.maventa.control("PUT", "/faults", json={"error_rate": 1.0, "status": 503})
    with pytest.raises(ApplicationError) as unavailable:
        await env.run(
            services.account.look_up_business_id, BusinessIdLookup(company_id="c-5", business_id=bid)
        )
    await services.maventa.control("DELETE", "/faults")

    stored = await env.run(
        services.account.create_maventa_user,
        NewUser(company_id="c-5", email="talous@testi.fi", name="Testi Oy"),
    )
    with pytest.raises(ApplicationError) as refused:
        await env.run(
            services.account.create_maventa_company,
            NewAccount(
                company_id="c-5", credentials_ref=stored.credentials_ref, company=report("123", name="Oy")
            ),
        )
    with unit_of_work(services.sessions) as session:
        key = get_secret(session, stored.credentials_ref).get_secret_value()

    assert not unavailable.value.non_retryable and "unavailable" in unavailable.value.message
    assert refused.value.non_retryable and refused.value.message.startswith("Maventa refused creating")
    assert key not in refused.value.message


async def test_receiving_scanning_and_the_bank_network_until_the_banks_confirm(services: Services) -> None:
    env = ActivityEnvironment()
    bid = business_id()
    ref = await provision(services, "company-6", bid)

    receiving = await env.run(services.receiving.open_receiving, ref)
    requested = await env.run(services.bank_network.request_bank_network, ref)
    requested_again = await env.run(services.bank_network.request_bank_network, ref)
    waiting = await env.run(services.bank_network.check_networks, ref)
    await services.maventa.control("POST", f"/companies/{bid}/bank-network/confirm")
    confirmed = await env.run(services.bank_network.check_networks, ref)

    assert receiving.statuses == {"VISMA": "active", "SCAN": "active"}
    assert receiving.scan_address
    assert requested.statuses["BANK"] == "pending" and requested_again == requested
    assert waiting.statuses["BANK"] == "pending"
    assert confirmed.statuses["BANK"] == "active"


async def test_projection_keeps_account_ids_the_workflow_has_not_learnt_yet(services: Services) -> None:
    bid = business_id()
    ref = await provision(services, "company-7", bid)
    stuck = Projection(
        company_id="company-7",
        business_id=bid,
        name="Testi Oy",
        state="NEEDS_SUPPORT",
        needs_support=True,
        needs_support_reason="Creating the Maventa account failed: a reason.",
        maventa_company_uuid=None,
        credentials_ref=None,
        import_mode=ImportMode.OFF,
        import_from=None,
        lifecycle_state=ConnectionStatus.PROVISIONING,
    )
    await ActivityEnvironment().run(services.projection.record_company, stuck)
    with unit_of_work(services.sessions) as session:
        row = get_company(session, "company-7")

    assert row is not None and row.state == "NEEDS_SUPPORT" and row.needs_support
    assert row.lifecycle_state == "PROVISIONING"
    assert row.maventa_company_uuid == ref.company_uuid and row.credentials_ref == ref.credentials_ref


async def test_a_projection_scheduled_without_lifecycle_state_records_its_shown_state(
    services: Services,
) -> None:
    """A write scheduled by the workflow version before lifecycle_state, run by today's worker."""
    bid = business_id()
    await provision(services, "company-8", bid)
    written = Projection(
        company_id="company-8",
        business_id=bid,
        name="Testi Oy",
        state="RELEASED",
        needs_support=False,
        needs_support_reason=None,
        maventa_company_uuid=None,
        credentials_ref=None,
        import_mode=ImportMode.OFF,
        import_from=None,
    )
    await ActivityEnvironment().run(services.projection.record_company, written)
    with unit_of_work(services.sessions) as session:
        row = get_company(session, "company-8")

    assert row is not None and row.state == row.lifecycle_state == "RELEASED"


async def test_invoicing_addresses_point_to_maventa_in_netvisor() -> None:
    organisation = netvisor.business_id()
    async with netvisor.serve(create_netvisor_sandbox(netvisor.sandbox_config())) as url:
        client = NetvisorClient(
            url,
            sender="tests",
            partner_id=netvisor.PARTNER_ID,
            partner_key=SecretStr(netvisor.PARTNER_KEY),
            customer_id=netvisor.CUSTOMER_ID,
            customer_key=SecretStr(netvisor.CUSTOMER_KEY),
        )
        try:
            addresses = await ActivityEnvironment().run(
                AddressActivities(client).update_invoicing_addresses,
                InvoicingAddresses(company_id="company-8", business_id=organisation),
            )
        finally:
            await client.aclose()
        async with httpx.AsyncClient(base_url=url) as http:
            shown = (await http.get(f"/_sandbox/companies/{organisation}/invoicing-addresses")).json()

    assert addresses.einvoice_address == "0037" + organisation.replace("-", "")
    assert [(a["einvoice_address"], a["operator"]) for a in shown] == [
        (addresses.einvoice_address, "003721291126")
    ]


def test_each_company_gets_its_own_maventa_user_address_in_the_same_mailbox() -> None:
    assert maventa_user_email("talous@testi.fi", "42") == "talous+netvisor-42@testi.fi"
    assert maventa_user_email("talous+old@testi.fi", "a/b") == "talous+netvisor-a-b@testi.fi"
