"""Notifications reach a subscribed receiver as real HTTP POSTs."""

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.sandbox.maventa.serving import MaventaSandbox, maventa_client, running_sandbox, webhook_receiver


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def maventa() -> AsyncIterator[MaventaSandbox]:
    async with running_sandbox() as sandbox:
        yield sandbox


async def test_received_delivered_and_failed_events_are_posted(maventa: MaventaSandbox) -> None:
    async with webhook_receiver() as inbox, maventa_client(maventa.url) as client:
        vendor_wide = await client.subscribe_notifications(
            maventa.partner, inbox.url, ["DOCUMENTS.INVOICE.RECEIVED"], "VENDOR_WEBHOOK"
        )
        assert vendor_wide.id and vendor_wide.destination == inbox.url
        assert [n.id for n in await client.list_notifications(maventa.partner)] == [vendor_wide.id]
        bid, creds = await maventa.customer()
        await client.create_profile(creds, "VISMA")
        await client.subscribe_notifications(
            creds, inbox.url, ["DOCUMENTS.INVOICE.DELIVERED", "DOCUMENTS.INVOICE.FAILED"], "WEBHOOK"
        )
        (received,) = await maventa.receive(bid)
        posted = await inbox.wait_for(1)
        assert [(p["event"], p["company_id"], p["invoice_id"]) for p in posted] == [
            ("DOCUMENTS.INVOICE.RECEIVED", creds.company_uuid, received)
        ]
        assert posted[0]["happened_at"].endswith("Z")
        document = await client.download_invoice(creds, received, "FINVOICE30")
        sent = await client.send_invoice(
            creds,
            document,
            "invoice.xml",
            uuid="w-1",
            recipient_eia="003712345671",
            recipient_operator="003721291126",
        )
        failing = await client.send_invoice(
            creds,
            document,
            "invoice.xml",
            uuid="w-2",
            recipient_eia="003712345671",
            recipient_operator="003721291126",
        )
        await maventa.control("POST", f"/sent-invoices/{sent.id}/deliver")
        await maventa.control("POST", f"/sent-invoices/{failing.id}/fail")
        posted = await inbox.wait_for(3)
        assert [(p["event"], p["invoice_id"]) for p in posted[1:]] == [
            ("DOCUMENTS.INVOICE.DELIVERED", sent.id),
            ("DOCUMENTS.INVOICE.FAILED", failing.id),
        ]


async def test_an_unreachable_destination_does_not_break_arrival(maventa: MaventaSandbox) -> None:
    async with maventa_client(maventa.url) as client:
        bid, creds = await maventa.account()
        await client.subscribe_notifications(
            creds, "http://127.0.0.1:9/nowhere", ["DOCUMENTS.INVOICE.RECEIVED"], "WEBHOOK"
        )
        (invoice_id,) = await maventa.receive(bid)
        assert (await client.get_invoice(creds, invoice_id)).id == invoice_id
