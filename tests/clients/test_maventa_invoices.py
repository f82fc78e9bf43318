"""Receiving and sending through the client against the sandbox over real HTTP."""

import base64
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from lxml import etree

from clients.maventa import MaventaClient
from tests.clock import wall_clock
from tests.sandbox.maventa.serving import MaventaSandbox, maventa_client, running_sandbox

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "maventa-examples"


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def maventa() -> AsyncIterator[MaventaSandbox]:
    async with running_sandbox() as sandbox:
        yield sandbox


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def client(maventa: MaventaSandbox) -> AsyncIterator[MaventaClient]:
    async with maventa_client(maventa.url) as c:
        yield c


async def test_every_page_is_followed(maventa: MaventaSandbox, client: MaventaClient) -> None:
    bid, creds = await maventa.account()
    arrived = await maventa.receive(bid, count=230)
    invoices = await client.list_invoices(creds, direction="RECEIVED")
    assert len(invoices) == 230
    assert {i.id for i in invoices} == set(arrived)


async def test_the_received_window_filters(maventa: MaventaSandbox, client: MaventaClient) -> None:
    bid, creds = await maventa.account()
    now = wall_clock().replace(microsecond=0)
    (old,) = await maventa.receive(bid, received_at=(now - timedelta(days=40)).isoformat())
    (recent,) = await maventa.receive(bid, received_at=(now - timedelta(days=2)).isoformat())
    window = await client.list_invoices(
        creds, direction="RECEIVED", received_at_start=now - timedelta(days=7), received_at_end=now
    )
    assert [i.id for i in window] == [recent]
    everything = await client.list_invoices(creds, direction="RECEIVED")
    assert {i.id for i in everything} == {old, recent}


async def test_partner_queue_spans_linked_companies_until_handled(
    maventa: MaventaSandbox, client: MaventaClient
) -> None:
    bid_a, company_a = await maventa.customer("Ensimmäinen Oy")
    bid_b, company_b = await maventa.customer("Toinen Oy")
    outsider_bid, _ = await maventa.account("Ulkopuolinen Oy")
    for creds in (company_a, company_b):
        await client.create_profile(creds, "VISMA")
    (a1, a2) = await maventa.receive(bid_a, count=2)
    (b1,) = await maventa.receive(bid_b)
    await maventa.receive(outsider_bid)
    queue = await client.received_events(maventa.partner)
    assert {(e.company_id, e.invoice_id) for e in queue} >= {
        (company_a.company_uuid, a1),
        (company_a.company_uuid, a2),
        (company_b.company_uuid, b1),
    }
    assert all(e.state == "CREATED" for e in queue)
    assert (
        len([e for e in queue if e.company_id not in (company_a.company_uuid, company_b.company_uuid)]) == 0
    )
    await client.mark_handled(company_a, a1)
    remaining = {e.invoice_id for e in await client.received_events(maventa.partner)}
    assert a1 not in remaining
    assert {a2, b1} <= remaining
    handled = await client.received_events(maventa.partner, state="HANDLED")
    assert [e.invoice_id for e in handled] == [a1]


async def test_the_partner_queue_is_followed_past_one_page() -> None:
    async with running_sandbox() as fresh, maventa_client(fresh.url) as own:
        bid, creds = await fresh.customer()
        await own.create_profile(creds, "VISMA")
        arrived = await fresh.receive(bid, count=150)
        assert {e.invoice_id for e in await own.received_events(fresh.partner)} == set(arrived)


async def test_documents_images_and_attachments_download(
    maventa: MaventaSandbox, client: MaventaClient
) -> None:
    bid, creds = await maventa.account()
    ids = await maventa.receive(bid, count=6)
    for invoice_id in ids:
        xml = await client.download_invoice(creds, invoice_id, "FINVOICE30")
        root = etree.fromstring(xml)
        assert (root.tag, root.get("Version")) == ("Finvoice", "3.0")
        assert xml.startswith(b"<?xml version='1.0' encoding='ISO-8859-15'?>")
        pdf = await client.download_invoice(creds, invoice_id, "ORIGINAL_OR_GENERATED_IMAGE")
        assert pdf.startswith(b"%PDF")
        files = await client.invoice_files(creds, invoice_id)
        assert {f.type for f in files} >= {"INVOICE", "IMAGE"}
        invoice_file = next(f for f in files if f.type == "INVOICE")
        assert await client.download_file(creds, invoice_id, invoice_file.id) == xml
    invoice = await client.get_invoice(creds, ids[0])
    assert invoice.recipient is not None and invoice.recipient.bid == bid
    assert invoice.origin == "EXTERNAL"
    assert invoice.sum is not None and invoice.sum_tax is not None and invoice.sum_tax > invoice.sum


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="the shared fixtures are not present")
@pytest.mark.parametrize(
    "name",
    [
        "anon_finvoice_30_invoice_with_SOAP.xml",
        "anon_finvoice_13_invoice_with_MessageTransmissionDetails.xml",
    ],
)
async def test_a_given_document_is_stored_byte_for_byte(
    maventa: MaventaSandbox, client: MaventaClient, name: str
) -> None:
    original = (FIXTURES / name).read_bytes()
    bid, creds = await maventa.account()
    (invoice_id,) = await maventa.receive(bid, finvoice_base64=base64.b64encode(original).decode())
    assert await client.download_invoice(creds, invoice_id, "FINVOICE30") == original
    invoice = await client.get_invoice(creds, invoice_id)
    assert invoice.number in ("9190100001", "2013000018")


async def test_the_same_uuid_sends_one_invoice(maventa: MaventaSandbox, client: MaventaClient) -> None:
    sender_bid, sender = await maventa.customer("Lähettäjä Oy")
    recipient_bid, recipient = await maventa.account("Vastaanottaja Oy")
    document = await client.download_invoice(
        recipient, (await maventa.receive(recipient_bid))[0], "FINVOICE30"
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("invoice.xml", document)
        zipped.writestr("invoice.pdf", b"%PDF-1.4 image")
        zipped.writestr("1_liite.txt", b"liite")
    args = {"uuid": "netvisor-42-7", "recipient_eia": "003712345671", "recipient_operator": "003721291126"}
    first = await client.send_invoice(sender, archive.getvalue(), "invoice.zip", **args)
    again = await client.send_invoice(sender, archive.getvalue(), "invoice.zip", **args)
    assert first.id == again.id
    assert first.status == "PENDING"
    assert [a.filename for a in first.files] == ["1_liite.txt"]
    sent = await maventa.control("GET", f"/companies/{sender_bid}/sent-invoices")
    assert [(s["id"], s["uuid"]) for s in sent] == [(first.id, "netvisor-42-7")]
    await maventa.control("POST", f"/sent-invoices/{first.id}/deliver")
    delivered = await client.get_invoice(sender, first.id)
    assert delivered.status == "DELIVERED"
    assert [a.type for a in delivered.actions] == ["CREATED", "SENT", "DELIVERED"]
    other = await client.send_invoice(sender, document, "invoice.xml", **(args | {"uuid": "netvisor-42-8"}))
    await maventa.control("POST", f"/sent-invoices/{other.id}/fail", json={"reason": "Unknown recipient"})
    failed = await client.get_invoice(sender, other.id)
    assert failed.status == "FAILED"
    assert failed.actions[-1].message == "Unknown recipient"
