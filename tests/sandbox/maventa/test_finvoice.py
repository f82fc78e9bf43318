"""Generated invoices are Finvoice 3.0 (docs/facts/einvoicing.md §1.2), with a real PDF image."""

import re
from datetime import UTC, datetime
from decimal import Decimal

from lxml import etree

from sandbox.maventa.finvoice import Buyer, generate_invoice
from sandbox.maventa.identifiers import reference_number
from sandbox.maventa.pdf import text_pdf

RECEIVED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BUYER = Buyer(business_id="1234567-1", name="Ostaja Äänekoski Oy")
# Top-level order of docs/facts/einvoicing.md §1.2 (optional elements left out by the generator).
ORDER = [
    "MessageTransmissionDetails",
    "SellerPartyDetails",
    "SellerOrganisationUnitNumber",
    "SellerInformationDetails",
    "BuyerPartyDetails",
    "BuyerOrganisationUnitNumber",
    "InvoiceDetails",
    "VirtualBankBarcode",
    "InvoiceRow",
    "EpiDetails",
    "AttachmentMessageDetails",
]


def _generate(
    number: str = "100001",
    *,
    sender_business_id: str | None = None,
    total_vat_excluded: Decimal | None = None,
) -> etree._Element:
    invoice = generate_invoice(
        buyer=BUYER,
        number=number,
        channel="OPERATOR",
        received_at=RECEIVED_AT,
        seed=f"t:{number}",
        sender_business_id=sender_business_id,
        total_vat_excluded=total_vat_excluded,
    )
    return etree.fromstring(invoice.document)


def _amount(text: str | None) -> Decimal:
    assert text is not None and re.fullmatch(r"-?\d+,\d{2}", text), text
    return Decimal(text.replace(",", "."))


def test_the_document_is_finvoice_30_in_iso_8859_15() -> None:
    invoice = generate_invoice(
        buyer=BUYER, number="100001", channel="OPERATOR", received_at=RECEIVED_AT, seed="t:1"
    )
    assert invoice.document.startswith(b"<?xml version='1.0' encoding='ISO-8859-15'?>")
    root = etree.fromstring(invoice.document)
    assert root.tag == "Finvoice"
    assert root.get("Version") == "3.0"
    assert (
        root.get("{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation") == "Finvoice3.0.xsd"
    )
    # Finnish letters and the euro sign are single ISO-8859-15 bytes, not UTF-8 sequences.
    assert "ä".encode("iso-8859-15") in invoice.document
    assert b"\xa4" in invoice.document
    assert "ä".encode() not in invoice.document


def test_elements_follow_the_finvoice_order() -> None:
    for number in ("100001", "100002", "100003", "100004"):
        tags = [child.tag for child in _generate(number)]
        positions = [ORDER.index(tag) for tag in tags]
        assert positions == sorted(positions), tags
        assert tags[:2] == ["MessageTransmissionDetails", "SellerPartyDetails"]


def test_amounts_dates_and_reference_are_consistent() -> None:
    root = _generate("200077")
    details = root.find("InvoiceDetails")
    assert details is not None
    assert details.findtext("InvoiceNumber") == "200077"
    assert re.fullmatch(r"\d{8}", details.findtext("InvoiceDate") or "")
    assert details.find("InvoiceDate").get("Format") == "CCYYMMDD"  # type: ignore[union-attr]
    excluded = _amount(details.findtext("InvoiceTotalVatExcludedAmount"))
    vat = _amount(details.findtext("InvoiceTotalVatAmount"))
    included = _amount(details.findtext("InvoiceTotalVatIncludedAmount"))
    assert excluded + vat == included
    rows = root.findall("InvoiceRow")
    assert rows
    assert sum(_amount(r.findtext("RowVatExcludedAmount")) for r in rows) == excluded
    reference = root.findtext("EpiDetails/EpiIdentificationDetails/EpiReference")
    assert reference == reference_number("200077")
    assert root.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier") == reference
    assert _amount(root.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount")) == included
    assert root.findtext("BuyerPartyDetails/BuyerPartyIdentifier") == "1234567-1"
    assert root.findtext("BuyerOrganisationUnitNumber") == "003712345671"


def test_a_given_sum_and_sender_are_used() -> None:
    root = _generate("300001", total_vat_excluded=Decimal("1000.00"), sender_business_id="7654321-3")
    assert root.findtext("InvoiceDetails/InvoiceTotalVatExcludedAmount") == "1000,00"
    assert root.findtext("InvoiceDetails/InvoiceTotalVatIncludedAmount") == "1255,00"
    assert root.findtext("SellerPartyDetails/SellerPartyIdentifier") == "7654321-3"


def test_generation_is_deterministic_and_about_one_in_three_has_an_attachment() -> None:
    first = generate_invoice(buyer=BUYER, number="5", channel="OPERATOR", received_at=RECEIVED_AT, seed="s:5")
    again = generate_invoice(buyer=BUYER, number="5", channel="OPERATOR", received_at=RECEIVED_AT, seed="s:5")
    assert first.document == again.document
    with_attachment = sum(
        bool(
            generate_invoice(
                buyer=BUYER, number=str(n), channel="OPERATOR", received_at=RECEIVED_AT, seed=f"s:{n}"
            ).attachments
        )
        for n in range(60)
    )
    assert 10 <= with_attachment <= 30


def test_bank_network_invoices_carry_no_attachments() -> None:
    for n in range(30):
        invoice = generate_invoice(
            buyer=BUYER, number=str(n), channel="BANK", received_at=RECEIVED_AT, seed=f"b:{n}"
        )
        assert invoice.attachments == []
        root = etree.fromstring(invoice.document)
        assert (
            root.findtext("MessageTransmissionDetails/MessageReceiverDetails/ToIntermediator") == "DABAFIHH"
        )


def test_the_pdf_is_well_formed() -> None:
    pdf = text_pdf("LASKU 1", ["Rivi (1)", "Ääkköset"])
    assert pdf.startswith(b"%PDF-1.4")
    assert pdf.rstrip().endswith(b"%%EOF")
    startxref = int(pdf.rsplit(b"startxref", 1)[1].split()[0])
    assert pdf[startxref:].startswith(b"xref")
    first_object = int(pdf[startxref:].split(b"\n")[3].split()[0])
    assert pdf[first_object:].startswith(b"1 0 obj")
