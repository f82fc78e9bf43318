"""What Netvisor is asked to book for a received document: what is due, lines that add up to it, credit
notes negative, and a visible warning when the document's own numbers do not add up."""

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from activities.inbound_mapping import purchase_invoice
from clients.maventa import Invoice
from clients.netvisor_models import PurchaseInvoiceImport
from clients.netvisor_xml import purchase_invoice_xml
from domain.finvoice import ReceivedInvoice, parse_invoice

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def booked(name: str) -> tuple[ReceivedInvoice, PurchaseInvoiceImport]:
    received = parse_invoice((CORPUS / name).read_bytes())
    return received, purchase_invoice(Invoice(id="maventa-1"), received, None, [])


def lines_total(imported: PurchaseInvoiceImport) -> Decimal:
    return sum((line.line_sum for line in imported.lines), Decimal(0))


@pytest.mark.parametrize(
    ("name", "amount"),
    [
        ("gobl-ubl/invoice-partially-paid.xml", "1142.00"),
        ("gobl-ubl/peppol-1-advance.xml", "1764.18"),
        ("gobl-fi-finvoice/reverse-charge.xml", "463.50"),
        ("gobl-ubl/invoice-prices-include-vat.xml", "69.70"),
    ],
)
def test_what_is_due_is_booked_and_the_lines_add_up_to_it(name: str, amount: str) -> None:
    _, imported = booked(name)
    assert imported.amount == Decimal(amount)
    assert abs(lines_total(imported) - imported.amount) <= Decimal("0.01") * len(imported.lines)


@pytest.mark.parametrize(
    "name",
    [
        "gobl-ubl/credit-note-peppol.xml",
        "einvoicing-php/peppol-credit-note-example.xml",
        "en16931/ubl-tc434-creditnote1.xml",
        "gobl-fi-finvoice/credit-note.xml",
        "gobl-fi-finvoice/credit-note-3.0.xml",
    ],
)
def test_credit_notes_reach_netvisor_with_negative_amounts(name: str) -> None:
    received, imported = booked(name)
    assert received.credit_note
    assert imported.amount < 0
    assert lines_total(imported) == imported.amount
    xml = etree.fromstring(purchase_invoice_xml(imported))
    assert xml.findtext("purchaseinvoice/amount", "").startswith("-")


def test_invoice_level_allowances_and_charges_become_lines() -> None:
    _, imported = booked("gobl-ubl/invoice-attachments.xml")
    names = [line.product_name for line in imported.lines]
    assert names == ["Development services", "Charge: Freight", "Discount: Promotion discount"]
    assert lines_total(imported) == imported.amount == Decimal("2036.09")


def test_a_row_without_a_vat_amount_is_booked_gross_not_net() -> None:
    """A row that states no VAT amount (as UBL rows never do): Netvisor's line sum is VAT included."""
    _, imported = booked("gobl-fi-finvoice/operator-converted.xml")
    [line] = imported.lines
    assert line.line_sum == Decimal("0.99"), "0.79 net at 25.5 % VAT"
    assert line.unit_price == Decimal("0.79")


def test_a_document_whose_numbers_do_not_add_up_is_booked_as_written_with_a_warning() -> None:
    received, imported = booked("py-finvoice/finvoice.xml")
    assert imported.amount == received.amount_to_pay == Decimal("3352.98")
    assert imported.comment is not None
    assert imported.comment.startswith("WARNING: the invoice's own numbers do not add up")
    assert "3452.98, not the total 3352.98" in imported.comment


def test_a_document_that_adds_up_carries_no_warning() -> None:
    _, imported = booked("gobl-fi-finvoice/invoice.xml")
    assert imported.comment is None or "WARNING" not in imported.comment


def test_ibans_are_booked_without_spaces() -> None:
    _, imported = booked("xrechnung-testsuite/01.20a-INVOICE_ubl.xml")
    assert imported.bank_account == "1234567890123456789022"
