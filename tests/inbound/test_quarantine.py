"""Documents that cannot go to Netvisor are set aside with their reason, shown to support, and retried by
support once the cause is fixed; they are never retried by themselves."""

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


async def test_a_rejected_invoice_is_retried_by_support_after_the_fix(stack: Inbound) -> None:
    company = await stack.company()
    await stack.netvisor_faults(error_rate=1.0, status=400)
    async with stack.worker(), stack.api("support") as support:
        await stack.start()
        [invoice_id] = await stack.arrive(company, "PEPPOL", number="REJECTED-1")
        await stack.wake()
        assert await eventually(lambda: _handled(stack, [invoice_id]))
        row = stack.ledger(invoice_id)
        assert row is not None and row.status == "quarantined"
        assert row.quarantine_reason is not None and row.quarantine_reason.startswith("Netvisor rejected")
        await stack.netvisor_faults()
        path = f"/v1/support/companies/{company.company_id}/quarantine/{invoice_id}/retry"
        answer = await support.post(path)
        assert answer.status_code == 202, answer.text
        assert await eventually(lambda: stack.in_netvisor(company))
        assert await eventually(lambda: _ledger_status(stack, invoice_id, "imported"))
        again = await support.post(path)
        assert again.status_code == 409 and again.json()["error"]["code"] == "not_quarantined"
        unknown = await support.post(f"/v1/support/companies/{company.company_id}/quarantine/nope/retry")
        assert unknown.status_code == 404
        listing = (await support.get(f"/v1/support/companies/{company.company_id}/quarantine")).json()
        assert listing["invoices"] == []
        support.headers["Authorization"] = "Bearer wrong"
        assert (await support.post(path)).status_code == 401
    assert len(await stack.in_netvisor(company)) == 1


async def _rounds_at_least(stack: Inbound, rounds: int) -> bool:
    return (await stack.status()).rounds >= rounds


async def _ledger_status(stack: Inbound, invoice_id: str, status: str) -> bool:
    row = stack.ledger(invoice_id)
    return row is not None and row.status == status
