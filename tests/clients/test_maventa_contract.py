"""Every operation the client can call, made once against the sandbox and checked on the wire against
Maventa's OpenAPI: method, path, parameters, body, content type, bearer and the token's scopes."""

import io
import zipfile
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from clients.maventa import MaventaClient, MaventaCredentials, MaventaRequestError, NewCompany
from clients.maventa_operations import ALL_OPERATIONS, COMPANY_SCOPES, IDENTITY_SCOPES, PARTNER_SCOPES
from tests.contracts.recorder import ContractRecorder
from tests.sandbox.maventa.serving import VENDOR_KEY, MaventaSandbox, business_id, running_sandbox


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def maventa() -> AsyncIterator[MaventaSandbox]:
    async with running_sandbox() as sandbox:
        yield sandbox


async def _every_operation(maventa: MaventaSandbox, client: MaventaClient) -> None:
    bid = business_id()
    await client.lookup_companies(maventa.partner, [bid, business_id()])
    user_key = await client.create_user(f"sopimus-{bid}@example.invalid", "Sopimus", "Netvisor")
    company = NewCompany(
        name="Sopimus Oy",
        business_id=bid,
        email="s@example.invalid",
        street="Katu 1",
        post_code="00100",
        city="Helsinki",
    )
    creds = MaventaCredentials(
        company_uuid=await client.create_company(user_key, company), user_api_key=user_key
    )
    await client.current_company(creds)
    await client.authorization_status(creds)
    await client.request_authorization(
        creds, "signer@example.invalid", {"kyc_by": "Netvisor", "business_id": bid}
    )
    await client.vendor_link_state(creds)
    await client.unlink_vendor(creds)
    await client.link_vendor(creds)
    await client.create_profile(creds, "VISMA")
    peppol = await client.register_peppol(creds, bid)
    await client.list_profiles(creds)
    await client.activate_scan_service(creds)
    await client.delete_profile(creds, peppol.id)
    await client.subscribe_notifications(
        creds, "https://hooks.example.invalid/maventa", ["DOCUMENTS.INVOICE.DELIVERED"], "WEBHOOK"
    )
    await client.list_notifications(creds)
    (received,) = await maventa.receive(bid)
    await client.list_invoices(creds, direction="RECEIVED")
    await client.get_invoice(creds, received)
    document = await client.download_invoice(creds, received, "FINVOICE30")
    files = await client.invoice_files(creds, received)
    await client.download_file(creds, received, files[0].id)
    await client.received_events(maventa.partner)
    await client.mark_handled(creds, received)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("invoice.xml", document)
    await client.send_invoice(
        creds,
        archive.getvalue(),
        "invoice.zip",
        uuid="4f0c7a52-7d5e-4a4e-9d53-000000000001",
        recipient_eia="003712345671",
        recipient_operator="003721291126",
    )


async def test_every_client_operation_stays_in_the_openapi(maventa: MaventaSandbox) -> None:
    recorder = ContractRecorder(strict=False)
    async with recorder.client(timeout=10) as http:
        client = MaventaClient(maventa.url, SecretStr(VENDOR_KEY), http=http)
        await _every_operation(maventa, client)
    assert recorder.problems == []
    assert recorder.operations == {operation.name for operation in ALL_OPERATIONS}
    assert recorder.asked_scopes() == {
        " ".join(sorted(scopes)) for scopes in (COMPANY_SCOPES, PARTNER_SCOPES, IDENTITY_SCOPES)
    }


async def test_a_repeated_uuid_is_refused_and_the_invoice_looked_up_by_it(maventa: MaventaSandbox) -> None:
    """POST /v1/invoices documents only 201; a repeat is an invalid request (400). The client looks the
    invoice up by the uuid (its id) before deciding, and a refusal for a uuid never used stays a refusal."""
    _, sender = await maventa.customer("Toistaja Oy")
    recipient_bid, recipient = await maventa.account("Vastaanottaja Oy")
    recorder = ContractRecorder()
    async with recorder.client(timeout=10) as http:
        client = MaventaClient(maventa.url, SecretStr(VENDOR_KEY), http=http)
        document = await client.download_invoice(
            recipient, (await maventa.receive(recipient_bid))[0], "FINVOICE30"
        )
        args = {"recipient_eia": "003712345671", "recipient_operator": "003721291126"}
        uuid = "4f0c7a52-7d5e-4a4e-9d53-000000000002"
        first = await client.send_invoice(sender, document, "invoice.xml", uuid=uuid, **args)
        again = await client.send_invoice(sender, document, "invoice.xml", uuid=uuid, **args)
        with pytest.raises(MaventaRequestError) as refused:
            await client.send_invoice(sender, b"not an invoice", "invoice.xml", uuid="4f0c7a52-0000", **args)
    assert first.id == again.id == uuid
    answers = [(r.call.method, r.call.path, r.call.status) for r in recorder.calls if r.call.method != "GET"]
    lookups = [
        (r.call.path, r.call.status) for r in recorder.calls if r.call.path.startswith("/v1/invoices/")
    ]
    assert answers[-3:] == [
        ("POST", "/v1/invoices", 201),
        ("POST", "/v1/invoices", 400),
        ("POST", "/v1/invoices", 400),
    ]
    assert lookups[-2:] == [(f"/v1/invoices/{uuid}", 200), ("/v1/invoices/4f0c7a52-0000", 404)]
    assert refused.value.status == 400


async def test_a_company_token_on_a_partner_path_is_forbidden(maventa: MaventaSandbox) -> None:
    _, creds = await maventa.customer()
    token = await maventa.token(creds)
    answer = await maventa.http.get(
        "/v1/partner/invoice_events/received", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 403
    assert answer.json()["details"] == ["missing scope: partner:invoice_delivery_actions"]
    asking = await maventa.http.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds.company_uuid,
            "client_secret": creds.user_api_key.get_secret_value(),
            "vendor_api_key": VENDOR_KEY,
            "scope": "partner:invoice_delivery_actions",
        },
    )
    assert (asking.status_code, asking.json()["code"]) == (400, "invalid_scope")


async def test_paths_outside_the_openapi_are_not_found(maventa: MaventaSandbox) -> None:
    _, creds = await maventa.account()
    headers = {"Authorization": f"Bearer {await maventa.token(creds)}"}
    singular = await maventa.http.get("/v1/invoice/abc", headers=headers)
    wrong_method = await maventa.http.put("/v1/company/vendors", headers=headers)
    assert (singular.status_code, wrong_method.status_code) == (404, 405)
    assert isinstance(httpx.Response(200, content=singular.content).json()["message"], str)


async def test_the_sandboxes_own_description_pages_stay_open(maventa: MaventaSandbox) -> None:
    """FastAPI's /openapi.json and /docs describe the sandbox itself; they are not Maventa's API."""
    answer = await maventa.http.get("/openapi.json")
    assert answer.status_code == 200 and "/_sandbox/accounts" in answer.json()["paths"]
