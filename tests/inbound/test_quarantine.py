"""Documents that cannot go to Netvisor are set aside with their reason and shown to support; they are never
retried by themselves. Support's retry, which the company's connection workflow records with who asked, is
tested with the whole service in tests/starters/test_quarantine_retry.py."""

from tests.inbound.harness import Inbound, eventually

BROKEN = (
    b'<?xml version="1.0" encoding="UTF-8"?><Finvoice Version="3.0"><SellerPartyDetails>'
    b"<SellerOrganisationName>Rikki Oy</SellerOrganisationName></SellerPartyDetails>"
    b"<InvoiceDetails><InvoiceNumber>BROKEN-1</InvoiceNumber></InvoiceDetails></Finvoice>"
)


async def _handled(stack: Inbound, invoice_ids: list[str]) -> bool:
    states = await stack.queue_state()
    return all(states.get(i) == "HANDLED" for i in invoice_ids)


async def test_an_unreadable_document_is_quarantined_once_with_its_reason(stack: Inbound) -> None:
    company = await stack.company()
    async with stack.worker():
        await stack.start()
        [broken] = await stack.arrive(company, "OPERATOR", document=BROKEN)
        [good] = await stack.arrive(company, "OPERATOR", number="GOOD-1")
        await stack.wake()
        assert await eventually(lambda: _handled(stack, [broken, good]))
        await stack.wake()
        await eventually(lambda: _rounds_at_least(stack, 2))
    assert [row["invoice_number"] for row in await stack.in_netvisor(company)] == ["GOOD-1"]
    row = stack.ledger(broken)
    assert row is not None and row.status == "quarantined"
    assert row.attempts == 0, "never sent to Netvisor"
    assert row.quarantine_reason is not None and "InvoiceTotalVatIncludedAmount" in row.quarantine_reason
    async with stack.api("support") as support:
        listing = (await support.get(f"/v1/support/companies/{company.company_id}/quarantine")).json()
    assert [(i["id"], i["number"]) for i in listing["invoices"]] == [(broken, "BROKEN-1")]
    assert "cannot be read" in listing["invoices"][0]["reason"]


async def _rounds_at_least(stack: Inbound, rounds: int) -> bool:
    return (await stack.status()).rounds >= rounds
