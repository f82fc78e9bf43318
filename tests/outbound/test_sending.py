"""Sending through the API: an invoice leaves once, its delivery reaches Netvisor, the document is right."""

import asyncio
import io
import os
import uuid
import zipfile
from decimal import Decimal

from domain.finvoice import SalesInvoice, parse_invoice, render_finvoice
from store.database import unit_of_work
from store.ledger import count_by_kind
from store.sales_invoice_documents import OutboundDocuments
from tests.clock import billing_month_now, wall_clock
from tests.outbound.conftest import Stack, eventually
from tests.outbound.invoices import PDF, RECIPIENT, b64, billable_actions, json_request, sales_invoice
from workflows.sales_invoice_models import maventa_uuid, workflow_id


def _key() -> str:
    return f"inv-{uuid.uuid4().hex[:12]}"


async def test_json_invoice_leaves_once_is_delivered_and_netvisor_hears_each_step(stack: Stack) -> None:
    month = await billing_month_now()
    company = await stack.company()
    key = _key()
    attachment = b"Tuntilista toukokuu\n"
    body = json_request(
        key,
        company.business_id,
        pdf_base64=b64(PDF),
        attachments=[{"filename": "tuntilista.txt", "content_base64": b64(attachment)}],
    )
    url = f"/v1/companies/{company.company_id}/sales-invoices"

    accepted = await stack.api.post(url, json=body)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"invoice_key": key, "status": "SUBMITTED", "duplicate": False}

    await stack.settled(company.company_id, key, "PENDING")
    repeated = await stack.api.post(url, json=body)
    assert repeated.status_code == 200
    assert repeated.json() == {"invoice_key": key, "status": "PENDING", "duplicate": True}

    sent = await stack.sent_at_maventa(company.business_id)
    assert [(s["uuid"], s["status"]) for s in sent] == [(maventa_uuid(company.company_id, key), "PENDING")]
    assert sent[0]["recipient"]["eia"] == RECIPIENT["einvoice_address"]
    assert sent[0]["recipient"]["operator"] == RECIPIENT["operator"]

    await stack.maventa_control(f"sent-invoices/{sent[0]['id']}/deliver")
    view = await stack.settled(company.company_id, key, "DELIVERED")
    assert [change["status"] for change in view["history"]] == ["SUBMITTED", "PENDING", "DELIVERED"]
    assert view["route"] == RECIPIENT
    assert view["maventa_invoice_id"] == sent[0]["id"]

    reported = await eventually(lambda: stack.netvisor_says(key, "DELIVERED"))
    assert reported["organisation_id"] == company.business_id
    assert [change["status"] for change in reported["history"]] == ["PENDING", "DELIVERED"]
    assert len(await stack.sent_at_maventa(company.business_id)) == 1

    files = await stack.maventa.invoice_files(company.credentials, sent[0]["id"])
    contents = {
        f.type: await stack.maventa.download_file(company.credentials, sent[0]["id"], f.id) for f in files
    }
    assert contents["IMAGE"] == PDF
    assert contents["ATTACHMENT"] == attachment

    def billed() -> dict[str, int]:
        with unit_of_work(stack.sessions) as session:
            return count_by_kind(session, company.company_id, month)

    assert await asyncio.to_thread(billed) == {"sent_einvoice": 1}

    handle = stack.client.get_workflow_handle(workflow_id(company.company_id, key))
    await handle.result()
    actions = await billable_actions(handle)
    assert sum(actions.values()) <= 8, actions


async def test_rendered_finvoice_read_back_by_the_inbound_parser_is_the_same_invoice(stack: Stack) -> None:
    company = await stack.company()
    key = _key()
    body = json_request(key, company.business_id)
    accepted = await stack.api.post(f"/v1/companies/{company.company_id}/sales-invoices", json=body)
    assert accepted.status_code == 202, accepted.text
    sent = await eventually(lambda: stack.sent_at_maventa(company.business_id))

    document = await stack.maventa.download_invoice(company.credentials, sent[0]["id"], "FINVOICE30")
    received = parse_invoice(document)
    submitted = SalesInvoice.model_validate(body["invoice"])

    assert (received.format, received.version, received.credit_note) == ("FINVOICE", "3.0", False)
    assert received.number == submitted.number
    assert (received.invoice_date, received.due_date) == (submitted.invoice_date, submitted.due_date)
    assert (received.seller.name, received.seller.business_id) == ("Myyjä Oy", company.business_id)
    assert (received.buyer.name, received.buyer.business_id) == ("Ostaja Ab", "1572860-0")
    assert received.total_excluding_vat == submitted.total_excluding_vat == Decimal("306.50")
    assert received.vat_amount == submitted.vat_amount
    assert received.total_including_vat == submitted.total_including_vat
    assert (received.seller_iban, received.seller_bic) == ("FI2112345600000785", "NDEAFIHH")
    assert received.payment_reference == "1232"
    assert [(r.description, r.quantity, r.unit_price, r.vat_percent, r.amount) for r in received.rows] == [
        (r.description, r.quantity, r.unit_price, r.vat_percent, r.amount) for r in submitted.rows
    ]
    assert received.routing is not None
    assert received.routing.sender_address == "0037" + company.business_id.replace("-", "")
    assert (received.routing.receiver_address, received.routing.receiver_operator) == (
        RECIPIENT["einvoice_address"],
        RECIPIENT["operator"],
    )
    assert received.routing.message_id == maventa_uuid(company.company_id, key)


async def test_netvisor_finvoice_is_sent_as_given_and_a_failure_reaches_netvisor_with_its_reason(
    stack: Stack,
) -> None:
    company = await stack.company()
    rendered = _netvisor_document(company.business_id)
    key = _key()
    body = {"invoice_key": key, "recipient": RECIPIENT, "finvoice_xml": rendered.decode("iso-8859-15")}

    accepted = await stack.api.post(f"/v1/companies/{company.company_id}/sales-invoices", json=body)
    assert accepted.status_code == 202, accepted.text
    sent = await eventually(lambda: stack.sent_at_maventa(company.business_id))
    await stack.settled(company.company_id, key, "PENDING")

    stored = await stack.maventa.download_invoice(company.credentials, sent[0]["id"], "FINVOICE30")
    assert stored == rendered

    reason = "Recipient e-invoice address not found at the operator"
    await stack.maventa_control(f"sent-invoices/{sent[0]['id']}/fail", {"reason": reason})
    view = await stack.settled(company.company_id, key, "FAILED")
    assert view["history"][-1]["detail"] == reason
    reported = await eventually(lambda: stack.netvisor_says(key, "FAILED"))
    assert reported["detail"] == reason

    handle = stack.client.get_workflow_handle(workflow_id(company.company_id, key))
    await handle.result()
    assert sum((await billable_actions(handle)).values()) <= 8


async def test_pdf_and_attachments_travel_as_maventas_zip(stack: Stack) -> None:
    company = await stack.company()
    key = _key()
    body = json_request(
        key,
        company.business_id,
        pdf_base64=b64(PDF),
        attachments=[
            {"filename": "erittely.pdf", "content_base64": b64(PDF)},
            {"filename": "tuntilista.txt", "content_base64": b64(b"8 h")},
        ],
    )
    accepted = await stack.api.post(f"/v1/companies/{company.company_id}/sales-invoices", json=body)
    assert accepted.status_code == 202, accepted.text

    await eventually(lambda: stack.sent_at_maventa(company.business_id))
    submission, upload = OutboundDocuments(stack.sessions).package(company.company_id, key)
    assert submission.filename == "invoice.zip"
    with zipfile.ZipFile(io.BytesIO(upload)) as archive:
        assert archive.namelist() == ["invoice.xml", "invoice.pdf", "1_erittely.pdf", "2_tuntilista.txt"]
        assert parse_invoice(archive.read("invoice.xml")).number == body["invoice"]["number"]


def _netvisor_document(business_id: str) -> bytes:
    """A Finvoice 3.0 document as Netvisor's own renderer would have made it."""
    return render_finvoice(
        SalesInvoice.model_validate(sales_invoice(business_id, number="NV-77")),
        sender_einvoice_address="0037" + business_id.replace("-", ""),
        sender_operator="003721291126",
        recipient_einvoice_address=RECIPIENT["einvoice_address"],
        recipient_operator=RECIPIENT["operator"],
        message_id="NETVISOR-77",
        timestamp=wall_clock().replace(microsecond=0),
    )


async def test_the_api_and_the_worker_share_nothing_but_the_database(stack: Stack) -> None:
    """As in docker-compose.yml, where they run in separate containers: the API has a data folder of its own
    and the worker none; the document reaches Maventa byte for byte all the same."""
    company = await stack.company()
    key = _key()
    attachment = os.urandom(1_000_000)
    body = json_request(
        key,
        company.business_id,
        pdf_base64=b64(PDF),
        attachments=[{"filename": "liite.txt", "content_base64": b64(attachment)}],
    )

    accepted = await stack.api.post(f"/v1/companies/{company.company_id}/sales-invoices", json=body)
    assert accepted.status_code == 202, accepted.text
    [sent] = await eventually(lambda: stack.sent_at_maventa(company.business_id))

    files = await stack.maventa.invoice_files(company.credentials, sent["id"])
    contents = {
        f.type: await stack.maventa.download_file(company.credentials, sent["id"], f.id) for f in files
    }
    assert contents["IMAGE"] == PDF
    assert contents["ATTACHMENT"] == attachment
    assert [path for path in stack.settings.data_dir.rglob("*") if path.is_file()] == []
