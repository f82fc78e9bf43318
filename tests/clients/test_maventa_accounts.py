"""Account creation, KYC, vendor link, networks and scanning through the client.

Facts: docs/facts/maventa.md §2.5-§2.8.
"""

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from clients.maventa import (
    MaventaBusinessIdTaken,
    MaventaClient,
    MaventaCredentials,
    MaventaRequestError,
    NewCompany,
)
from tests.sandbox.maventa.serving import MaventaSandbox, business_id, maventa_client, running_sandbox


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def maventa() -> AsyncIterator[MaventaSandbox]:
    async with running_sandbox() as sandbox:
        yield sandbox


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def client(maventa: MaventaSandbox) -> AsyncIterator[MaventaClient]:
    async with maventa_client(maventa.url) as c:
        yield c


def _company(bid: str) -> NewCompany:
    return NewCompany(
        name="Perustettu Oy",
        business_id=bid,
        email="talous@example.invalid",
        street="Katu 2",
        post_code="00100",
        city="Helsinki",
    )


async def test_a_company_is_created_verified_and_linked(
    maventa: MaventaSandbox, client: MaventaClient
) -> None:
    bid = business_id()
    assert await client.lookup_companies(maventa.partner, [bid]) == {bid: "FREE"}
    user_key = await client.create_user(f"talous-{bid}@example.invalid", "Tiina", "Talous")
    company_uuid = await client.create_company(user_key, _company(bid))
    assert await client.lookup_companies(maventa.partner, [bid]) == {bid: "RESERVED"}
    creds = MaventaCredentials(company_uuid=company_uuid, user_api_key=user_key)
    info = await client.current_company(creds)
    assert (info.id, info.bid) == (company_uuid, bid)
    assert (await client.authorization_status(creds)).company_state == "UNVERIFIED"
    await client.request_authorization(creds, "signer@example.invalid", {"method": "partner-kyc"})
    status = await client.authorization_status(creds)
    assert (status.auth_state, status.verified) == ("SIGNED", True)
    assert await client.vendor_link_state(creds) == "ACTIVE"
    await client.unlink_vendor(creds)
    assert await client.vendor_link_state(creds) is None
    assert (await maventa.control("GET", f"/companies/{bid}"))["vendor_linked"] is False
    await client.link_vendor(creds)
    assert await client.vendor_link_state(creds) == "ACTIVE"


async def test_a_taken_business_id_is_refused(maventa: MaventaSandbox, client: MaventaClient) -> None:
    bid, _ = await maventa.account("Muualla Käytössä Oy")
    user_key = await client.create_user(f"toinen-{bid}@example.invalid", "Toinen", "Käyttäjä")
    with pytest.raises(MaventaBusinessIdTaken) as caught:
        await client.create_company(user_key, _company(bid))
    assert isinstance(caught.value, MaventaRequestError)
    assert caught.value.retryable is False
    assert await client.lookup_companies(maventa.partner, [bid]) == {bid: "RESERVED"}


async def test_networks_and_the_bank_confirmation(maventa: MaventaSandbox, client: MaventaClient) -> None:
    bid, creds = await maventa.customer()
    visma = await client.create_profile(creds, "VISMA")
    assert visma.active
    assert visma.eia == "0037" + bid.replace("-", "")
    assert (await client.create_profile(creds, "VISMA")).id == visma.id
    bank = await client.create_profile(creds, "BANK")
    assert (bank.status, bank.active) == ("pending", False)
    await maventa.control("POST", f"/companies/{bid}/bank-network/confirm")
    profiles = {p.network: p for p in await client.list_profiles(creds)}
    assert profiles["BANK"].active
    peppol = await client.register_peppol(creds, bid)
    assert peppol.eia == "0216:0037" + bid.replace("-", "")
    assert peppol.profile_version == "PEPPOLBIS30"
    assert (await client.register_peppol(creds, bid)).id == peppol.id
    scan = await client.activate_scan_service(creds)
    assert scan.status == "active"
    assert scan.scan_address is not None and scan.scan_address.postal_address is not None
    assert scan.scan_address.postal_address.post_code == "80020"
    assert scan.scan_address.postal_address.address1 == bid.replace("-", "")
    assert (await client.activate_scan_service(creds)).status == "active"
    assert {p.network for p in await client.list_profiles(creds)} == {"VISMA", "BANK", "PEPPOL", "SCAN"}
    await client.delete_profile(creds, peppol.id)
    await client.delete_profile(creds, peppol.id)
    assert {p.network for p in await client.list_profiles(creds)} == {"VISMA", "BANK", "SCAN"}


async def test_a_peppol_id_in_use_elsewhere_is_refused(
    maventa: MaventaSandbox, client: MaventaClient
) -> None:
    """Maventa's documented 422s: the participant id is another company's, or already registered."""
    _, creds = await maventa.customer()
    other, other_creds = await maventa.customer("Toinen Oy")
    with pytest.raises(MaventaRequestError) as foreign:
        await client.register_peppol(creds, other)
    assert (foreign.value.status, foreign.value.code) == (422, "profile_eia_bid_conflict")
    await client.register_peppol(other_creds, other)
    assert {p.network for p in await client.list_profiles(creds)} == set()


async def test_an_unverified_company_cannot_open_networks(
    maventa: MaventaSandbox, client: MaventaClient
) -> None:
    bid = business_id()
    user_key = await client.create_user(f"u-{bid}@example.invalid", "U", "V")
    creds = MaventaCredentials(
        company_uuid=await client.create_company(user_key, _company(bid)), user_api_key=user_key
    )
    with pytest.raises(MaventaRequestError) as caught:
        await client.create_profile(creds, "VISMA")
    assert caught.value.code == "company_unverified"
