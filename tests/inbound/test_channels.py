"""Every channel end to end: an invoice arriving at Maventa ends up in Netvisor once, with its image."""

import pytest

from store.database import unit_of_work
from store.ledger import RECEIVED_EINVOICE, RECEIVED_SCANNED_INVOICE, billing_month, count_by_kind
from tests.inbound.harness import Inbound, eventually


@pytest.mark.parametrize(
    ("channel", "kind"),
    [
        ("OPERATOR", RECEIVED_EINVOICE),
        ("BANK", RECEIVED_EINVOICE),
        ("PEPPOL", RECEIVED_EINVOICE),
        ("SCAN", RECEIVED_SCANNED_INVOICE),
    ],
)
async def test_an_arrival_reaches_netvisor_once_with_its_image(
    stack: Inbound, channel: str, kind: str
) -> None:
    company = await stack.company()
    async with stack.worker():
        await stack.start()
        [invoice_id] = await stack.arrive(company, channel)
        await stack.wake()
        assert await eventually(lambda: _handled(stack, invoice_id))
        imported = await stack.in_netvisor(company)
    assert len(imported) == 1
    invoice = imported[0]
    assert f"Maventa invoice id: {invoice_id}" in invoice["comment"]
    assert [a["document_type"] for a in invoice["attachments"]][:1] == ["invoiceimage"]
    row = stack.ledger(invoice_id)
    assert row is not None and row.status == "imported" and row.netvisor_key == str(invoice["netvisor_key"])
    assert row.channel == channel
    with unit_of_work(stack.sessions) as session:
        counts = count_by_kind(session, company.company_id, billing_month(row.updated_at))
    assert counts == {kind: 1}


async def _handled(stack: Inbound, invoice_id: str) -> bool:
    """Acknowledged at Maventa: the last step of an import."""
    return (await stack.queue_state()).get(invoice_id) == "HANDLED"
