"""Real documents as operators deliver them: every shared example and our own in each character set."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.finvoice import parse_invoice
from tests.inbound.harness import Inbound, Receiver, eventually

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "maventa-examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.xml")) if EXAMPLES.is_dir() else []
SELLER = "Pörssi-Äijät Öljy ja Åke Oy"


def finvoice(encoding: str, number: str) -> bytes:
    """A Finvoice 3.0 with Finnish letters in its seller, declared and written in `encoding`."""
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<Finvoice Version="3.0">'
        "<SellerPartyDetails><SellerPartyIdentifier>2129112-6</SellerPartyIdentifier>"
        f"<SellerOrganisationName>{SELLER}</SellerOrganisationName></SellerPartyDetails>"
        "<BuyerPartyDetails><BuyerOrganisationName>Ostaja Oy</BuyerOrganisationName></BuyerPartyDetails>"
        "<InvoiceDetails><InvoiceTypeCode>INV01</InvoiceTypeCode>"
        f"<InvoiceNumber>{number}</InvoiceNumber>"
        '<InvoiceDate Format="CCYYMMDD">20260105</InvoiceDate>'
        '<InvoiceTotalVatExcludedAmount AmountCurrencyIdentifier="EUR">100,00</InvoiceTotalVatExcludedAmount>'
        '<InvoiceTotalVatAmount AmountCurrencyIdentifier="EUR">25,50</InvoiceTotalVatAmount>'
        '<InvoiceTotalVatIncludedAmount AmountCurrencyIdentifier="EUR">125,50</InvoiceTotalVatIncludedAmount>'
        '<PaymentTermsDetails><InvoiceDueDate Format="CCYYMMDD">20260119</InvoiceDueDate>'
        "</PaymentTermsDetails></InvoiceDetails>"
        "<InvoiceRow><ArticleName>Öljynvaihto</ArticleName>"
        '<DeliveredQuantity QuantityUnitCode="kpl">1</DeliveredQuantity>'
        '<UnitPriceAmount AmountCurrencyIdentifier="EUR">100,00</UnitPriceAmount>'
        "<RowVatRatePercent>25,5</RowVatRatePercent>"
        '<RowVatAmount AmountCurrencyIdentifier="EUR">25,50</RowVatAmount>'
        '<RowVatExcludedAmount AmountCurrencyIdentifier="EUR">100,00</RowVatExcludedAmount>'
        '<RowAmount AmountCurrencyIdentifier="EUR">125,50</RowAmount></InvoiceRow>'
        "</Finvoice>"
    )
    return text.encode(encoding)


@pytest.mark.skipif(not EXAMPLE_FILES, reason="no shared Maventa examples in this checkout")
async def test_every_shared_example_is_imported(stack: Inbound) -> None:
    company = await stack.company()
    expected = {}
    async with stack.worker():
        await stack.start()
        for path in EXAMPLE_FILES:
            document = path.read_bytes()
            [invoice_id] = await stack.arrive(company, "OPERATOR", document=document)
            expected[invoice_id] = (path.name, parse_invoice(document))
        await stack.wake()
        imported = await eventually(lambda: _all(stack, company, len(expected)))
    assert len(imported) == len(expected), [stack.ledger(i) for i in expected]
    by_id = {_maventa_id(row["comment"]): row for row in imported}
    for invoice_id, (name, parsed) in expected.items():
        row = by_id[invoice_id]
        assert row["invoice_number"] == parsed.number, name
        due = parsed.amount_to_pay if parsed.amount_to_pay is not None else parsed.total_including_vat
        assert Decimal(row["amount"]) == due, name
        assert row["attachments"][0]["document_type"] == "invoiceimage", name


@pytest.mark.parametrize("encoding", ["ISO-8859-15", "ISO-8859-1", "windows-1252", "UTF-8"])
async def test_own_documents_in_each_character_set(stack: Inbound, encoding: str) -> None:
    company = await stack.company()
    async with stack.worker():
        await stack.start()
        await stack.arrive(company, "OPERATOR", document=finvoice(encoding, f"E-{encoding}"))
        await stack.wake()
        [row] = await eventually(lambda: stack.in_netvisor(company))
    assert row["vendor"]["name"] == SELLER
    assert row["invoice_number"] == f"E-{encoding}"
    assert Decimal(row["amount"]) == Decimal("125.50")
    assert [line["product_name"] for line in row["lines"]] == ["Öljynvaihto"]


async def _all(stack: Inbound, company: Receiver, count: int) -> list[dict[str, Any]]:
    rows = await stack.in_netvisor(company)
    return rows if len(rows) >= count else []


def _maventa_id(comment: str) -> str:
    return comment.split("Maventa invoice id: ", 1)[1].split("\n", 1)[0]
