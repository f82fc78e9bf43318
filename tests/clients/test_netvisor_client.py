"""Contract tests: the Netvisor client against the Netvisor sandbox over real HTTP on loopback."""

import asyncio
import hashlib
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from clients.netvisor import NetvisorClient, NetvisorRejected, NetvisorUnavailable
from clients.netvisor_auth import NetvisorAuth
from clients.netvisor_models import (
    PurchaseInvoiceAttachmentFile,
    PurchaseInvoiceImport,
    PurchaseInvoiceLine,
    PurchaseInvoiceVendor,
    ServiceBillingLine,
)
from contracts.netvisor_dtd import dtd_problems, has_dtd
from sandbox.netvisor import create_app
from settings import Settings
from tests.sandbox.netvisor.serving import (
    CUSTOMER_ID,
    CUSTOMER_KEY,
    PARTNER_ID,
    PARTNER_KEY,
    business_id,
    sandbox_config,
    serve,
)

IMAGE = b"%PDF-1.4\n% invoice image\n%%EOF\n"
SPECIFICATION = b"%PDF-1.4\n% specification\n%%EOF\n"
MAY = (date(2024, 5, 1), date(2024, 5, 31))
_numbers = itertools.count(1)

ClientFactory = Callable[..., NetvisorClient]


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox_url() -> AsyncIterator[str]:
    async with serve(create_app(sandbox_config())) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def controls(sandbox_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sandbox_url}/_sandbox", timeout=10) as http:
        yield http


async def _follows_the_published_dtd(request: httpx.Request) -> None:
    """Every document the client sends to a resource with a published DTD is valid against it."""
    resource = request.url.path.rsplit("/", 1)[-1]
    if request.method == "POST" and has_dtd(resource):
        assert dtd_problems(resource, await request.aread()) == [], resource


@pytest_asyncio.fixture(loop_scope="session")
async def make_client(sandbox_url: str) -> AsyncIterator[ClientFactory]:
    made: list[NetvisorClient] = []
    checked = httpx.AsyncClient(timeout=5.0, event_hooks={"request": [_follows_the_published_dtd]})

    def factory(**overrides: Any) -> NetvisorClient:
        options: dict[str, Any] = {
            "sender": "maventa-connection tests",
            "partner_id": PARTNER_ID,
            "partner_key": SecretStr(PARTNER_KEY),
            "customer_id": CUSTOMER_ID,
            "customer_key": SecretStr(CUSTOMER_KEY),
            "timeout_s": 5.0,
            "http": checked,
            **overrides,
        }
        client = NetvisorClient(sandbox_url, **options)
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()
    await checked.aclose()


@pytest.fixture
def netvisor(make_client: ClientFactory) -> NetvisorClient:
    return make_client()


@pytest.fixture
def organisation() -> str:
    return business_id()


def invoice(*, with_files: bool = True, attachment: bytes = SPECIFICATION) -> PurchaseInvoiceImport:
    number = f"INV-{next(_numbers)}"
    return PurchaseInvoiceImport(
        maventa_invoice_id=f"maventa-{number}",
        invoice_number=number,
        invoice_date=date(2024, 5, 2),
        due_date=date(2024, 5, 30),
        vendor=PurchaseInvoiceVendor(
            name="Toimittaja Öy",
            business_id="1967543-8",
            address_line="Katu 1",
            post_number="02100",
            city="Espoo",
        ),
        amount=Decimal("1240.50"),
        reference="1232",
        bank_account="FI2112345600000785",
        lines=[
            PurchaseInvoiceLine(
                product_name="Konsultointi",
                quantity=Decimal("2.5"),
                unit_price=Decimal("400"),
                vat_percent=Decimal("24"),
                line_sum=Decimal("1240.50"),
            )
        ],
        image_pdf=IMAGE if with_files else None,
        attachments=[PurchaseInvoiceAttachmentFile(filename="erittely.pdf", content=attachment)]
        if with_files
        else [],
    )


async def imported(controls: httpx.AsyncClient, organisation: str) -> list[dict[str, Any]]:
    response = await controls.get(f"/companies/{organisation}/purchase-invoices")
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()
    return result


async def test_imported_invoice_reads_back_with_image_and_attachment(
    netvisor: NetvisorClient, controls: httpx.AsyncClient, organisation: str
) -> None:
    sent = invoice()

    key = await netvisor.import_purchase_invoice(organisation, sent)

    [stored] = await imported(controls, organisation)
    assert stored["netvisor_key"] == key
    assert (stored["invoice_number"], Decimal(stored["amount"])) == (sent.invoice_number, Decimal("1240.50"))
    assert stored["vendor"]["name"] == "Toimittaja Öy" and stored["vendor"]["business_id"] == "1967543-8"
    assert (stored["bank_reference_number"], stored["account_number"]) == ("1232", "FI2112345600000785")
    assert sent.maventa_invoice_id in stored["comment"]
    assert [(line["product_name"], Decimal(line["quantity"])) for line in stored["lines"]] == [
        ("Konsultointi", Decimal("2.5"))
    ]
    assert [(a["filename"], a["document_type"], a["sha256"]) for a in stored["attachments"]] == [
        ("invoice.pdf", "invoiceimage", hashlib.sha256(IMAGE).hexdigest()),
        ("erittely.pdf", "otherattachment", hashlib.sha256(SPECIFICATION).hexdigest()),
    ]
    [summary] = await netvisor.list_purchase_invoices(organisation, begin_date=MAY[0], end_date=MAY[1])
    assert summary.netvisor_key == key and summary.matches(sent)


async def test_wrong_key_is_authentication_failed_and_never_leaks(
    make_client: ClientFactory, controls: httpx.AsyncClient, organisation: str
) -> None:
    wrong = make_client(customer_key=SecretStr("a-wrong-customer-key"))

    with pytest.raises(NetvisorRejected) as failure:
        await wrong.import_purchase_invoice(organisation, invoice())

    assert failure.value.code == "AUTHENTICATION_FAILED" and failure.value.retryable is False
    assert "a-wrong-customer-key" not in str(failure.value) and PARTNER_KEY not in str(failure.value)
    assert await imported(controls, organisation) == []


async def test_one_organisation_can_be_made_to_fail_authentication(
    netvisor: NetvisorClient, controls: httpx.AsyncClient, organisation: str
) -> None:
    other = business_id()
    await controls.put("/faults", json={"authentication_failed_organisations": [organisation]})
    try:
        with pytest.raises(NetvisorRejected) as failure:
            await netvisor.import_purchase_invoice(organisation, invoice())
        await netvisor.import_purchase_invoice(other, invoice())
    finally:
        await controls.delete("/faults")

    assert failure.value.code == "AUTHENTICATION_FAILED"
    assert len(await imported(controls, other)) == 1


async def test_reused_transaction_id_is_rejected(
    make_client: ClientFactory, controls: httpx.AsyncClient, organisation: str
) -> None:
    auth = NetvisorAuth(
        sender="maventa-connection tests",
        partner_id=PARTNER_ID,
        partner_key=SecretStr(PARTNER_KEY),
        customer_id=CUSTOMER_ID,
        customer_key=SecretStr(CUSTOMER_KEY),
        transaction_ids=lambda: f"TX-{organisation}",
    )
    replaying = make_client(auth=auth)
    await replaying.import_purchase_invoice(organisation, invoice())

    with pytest.raises(NetvisorRejected) as failure:
        await replaying.import_purchase_invoice(organisation, invoice())

    assert failure.value.code == "REQUEST_NOT_UNIQUE"
    assert len(await imported(controls, organisation)) == 1


async def test_invalid_data_is_rejected_with_netvisors_reason(
    netvisor: NetvisorClient, controls: httpx.AsyncClient, organisation: str
) -> None:
    with pytest.raises(NetvisorRejected) as failure:
        await netvisor.import_purchase_invoice(organisation, invoice(attachment=b"PK\x03\x04 a zip file"))

    assert failure.value.code == "INVALID_DATA" and not failure.value.retryable
    assert "erittely.pdf" in failure.value.message
    assert await imported(controls, organisation) == []


async def test_server_errors_are_unavailable(
    netvisor: NetvisorClient, controls: httpx.AsyncClient, organisation: str
) -> None:
    await controls.put("/faults", json={"error_rate": 1.0, "status": 503})
    try:
        with pytest.raises(NetvisorUnavailable) as failure:
            await netvisor.import_purchase_invoice(organisation, invoice())
    finally:
        await controls.delete("/faults")

    assert failure.value.status == 503 and failure.value.retryable
    assert await imported(controls, organisation) == []


async def test_dropped_answer_is_uncertain_although_committed(
    netvisor: NetvisorClient, controls: httpx.AsyncClient, organisation: str
) -> None:
    sent = invoice()
    await controls.put("/faults", json={"drop_response_rate": 1.0})
    try:
        with pytest.raises(NetvisorUnavailable) as failure:
            await netvisor.import_purchase_invoice(organisation, sent)
    finally:
        await controls.delete("/faults")

    assert failure.value.uncertain and failure.value.retryable and failure.value.status is None
    found = await netvisor.list_purchase_invoices(
        organisation, begin_date=MAY[0], end_date=MAY[1], invoice_number=sent.invoice_number
    )
    assert [summary.matches(sent) for summary in found] == [True]
    assert [stored["invoice_number"] for stored in await imported(controls, organisation)] == [
        sent.invoice_number
    ]


async def test_a_query_with_spaces_slashes_and_umlauts_is_signed_as_netvisor_reads_it(
    netvisor: NetvisorClient, organisation: str
) -> None:
    """The MAC covers the raw query (clients/netvisor_auth.py); the sandbox checks it the same way."""
    sent = invoice(with_files=False).model_copy(update={"invoice_number": "Lasku 1/ä+2 & Å"})
    await netvisor.import_purchase_invoice(organisation, sent)

    found = await netvisor.list_purchase_invoices(
        organisation, begin_date=MAY[0], end_date=MAY[1], invoice_number="Lasku 1/ä+2 & Å"
    )

    assert [summary.invoice_number for summary in found] == ["Lasku 1/ä+2 & Å"]


async def test_timeout_is_uncertain(
    make_client: ClientFactory, controls: httpx.AsyncClient, organisation: str
) -> None:
    impatient = make_client(timeout_s=0.2)
    await controls.put("/faults", json={"latency_ms": 600})
    try:
        with pytest.raises(NetvisorUnavailable) as failure:
            await impatient.import_purchase_invoice(organisation, invoice())
    finally:
        await controls.delete("/faults")

    assert failure.value.uncertain


async def test_duplicates_are_accepted_as_two_invoices(
    netvisor: NetvisorClient, controls: httpx.AsyncClient, organisation: str
) -> None:
    sent = invoice()

    first = await netvisor.import_purchase_invoice(organisation, sent)
    second = await netvisor.import_purchase_invoice(organisation, sent)

    assert first != second
    assert [stored["invoice_number"] for stored in await imported(controls, organisation)] == [
        sent.invoice_number
    ] * 2


async def test_invoicing_addresses_round_trip(
    netvisor: NetvisorClient, controls: httpx.AsyncClient, organisation: str
) -> None:
    address = "0037" + organisation.replace("-", "")

    await netvisor.update_invoicing_addresses(organisation, address, "003721291126")
    await netvisor.update_invoicing_addresses(organisation, address, "003721291126")

    addresses = (await controls.get(f"/companies/{organisation}/invoicing-addresses")).json()
    assert [(a["einvoice_address"], a["operator"]) for a in addresses] == [(address, "003721291126")]


async def test_sales_invoice_status_round_trip(
    netvisor: NetvisorClient, controls: httpx.AsyncClient, organisation: str
) -> None:
    invoice_key = f"sales-{organisation}"

    await netvisor.report_sales_invoice_status(organisation, invoice_key, "PENDING", None)
    await netvisor.report_sales_invoice_status(
        organisation, invoice_key, "DELIVERED", "Delivered to 003712345678"
    )
    await netvisor.report_sales_invoice_status(
        organisation, invoice_key, "DELIVERED", "Delivered to 003712345678"
    )

    status = (await controls.get(f"/sales-invoices/{invoice_key}")).json()
    assert (status["organisation_id"], status["status"]) == (organisation, "DELIVERED")
    assert [change["status"] for change in status["history"]] == ["PENDING", "DELIVERED"]


async def test_service_billing_is_idempotent_per_organisation_and_month(
    netvisor: NetvisorClient, controls: httpx.AsyncClient, organisation: str
) -> None:
    month = "2031-07"
    lines = [
        ServiceBillingLine(
            product_code="EINV-RECEIVED",
            description="Received e-invoices",
            quantity=12,
            unit_price=Decimal("0.25"),
        ),
        ServiceBillingLine(
            product_code="EINV-SENT", description="Sent e-invoices", quantity=3, unit_price=Decimal("0.30")
        ),
    ]

    await netvisor.post_service_billing(organisation, month, lines)
    await netvisor.post_service_billing(organisation, month, lines)
    with pytest.raises(NetvisorRejected) as changed:
        await netvisor.post_service_billing(organisation, month, lines[:1])

    billed = [
        b
        for b in (await controls.get("/service-billing", params={"month": month})).json()
        if b["organisation_id"] == organisation
    ]
    assert [(b["month"], Decimal(b["total"]), len(b["lines"])) for b in billed] == [
        (month, Decimal("3.90"), 2)
    ]
    assert changed.value.code == "DUPLICATE_DATA"


async def test_overlapping_requests_for_one_organisation(
    make_client: ClientFactory, controls: httpx.AsyncClient, organisation: str
) -> None:
    one, another = make_client(), make_client()
    await controls.put("/faults", json={"latency_ms": 300})
    try:
        serialised = await asyncio.gather(
            *(one.import_purchase_invoice(organisation, invoice()) for _ in range(3))
        )
        overlapping = await asyncio.gather(
            one.import_purchase_invoice(organisation, invoice()),
            another.import_purchase_invoice(organisation, invoice()),
            return_exceptions=True,
        )
    finally:
        await controls.delete("/faults")

    assert len(set(serialised)) == 3
    failures = [answer for answer in overlapping if isinstance(answer, BaseException)]
    assert len(failures) == 1
    assert isinstance(failures[0], NetvisorUnavailable) and failures[0].code == "TECHNICAL_ERROR"
    assert len(await imported(controls, organisation)) == 4


async def test_client_from_settings_reaches_the_sandbox(sandbox_url: str, organisation: str) -> None:
    settings = Settings(
        netvisor_base_url=sandbox_url,
        netvisor_partner_id=PARTNER_ID,
        netvisor_partner_key=SecretStr(PARTNER_KEY),
        netvisor_customer_id=CUSTOMER_ID,
        netvisor_customer_key=SecretStr(CUSTOMER_KEY),
    )
    netvisor = NetvisorClient.from_settings(settings)
    try:
        key = await netvisor.import_purchase_invoice(organisation, invoice(with_files=False))
        found = await netvisor.list_purchase_invoices(organisation, begin_date=MAY[0], end_date=MAY[1])
    finally:
        await netvisor.aclose()

    assert [summary.netvisor_key for summary in found] == [key]
