"""Request XML in the DTD's order, and Netvisor's answers (docs/facts/netvisor.md §3, §4.3) parsed."""

import base64
from datetime import date
from decimal import Decimal

from lxml import etree

from clients.netvisor_models import (
    PurchaseInvoiceAttachmentFile,
    PurchaseInvoiceImport,
    PurchaseInvoiceLine,
    PurchaseInvoiceVendor,
)
from clients.netvisor_xml import parse_answer, parse_purchase_invoice_list, purchase_invoice_xml
from contracts.netvisor_dtd import dtd_problems

INVOICE = PurchaseInvoiceImport(
    maventa_invoice_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
    invoice_number="2024-117",
    invoice_date=date(2024, 5, 2),
    due_date=date(2024, 5, 30),
    delivery_date=date(2024, 4, 30),
    vendor=PurchaseInvoiceVendor(name="Toimittaja Oy", business_id="1967543-8", city="Espoo", country="FI"),
    amount=Decimal("1240.50"),
    reference="1232",
    bank_account="FI2112345600000785",
    comment="Tilaus 55",
    lines=[
        PurchaseInvoiceLine(
            product_name="Konsultointi",
            quantity=Decimal("2.5"),
            unit_price=Decimal("400"),
            vat_percent=Decimal("24"),
            line_sum=Decimal("1240.50"),
        )
    ],
    image_pdf=b"%PDF-1.4 image",
    attachments=[PurchaseInvoiceAttachmentFile(filename="erittely.pdf", content=b"%PDF-1.4 spec")],
)


def test_purchase_invoice_follows_the_dtd_order() -> None:
    invoice = etree.fromstring(purchase_invoice_xml(INVOICE)).find("purchaseinvoice")
    assert invoice is not None

    assert dtd_problems("purchaseinvoice.nv", purchase_invoice_xml(INVOICE)) == []
    assert [child.tag for child in invoice][:6] == [
        "invoicenumber",
        "invoicedate",
        "invoicesource",
        "valuedate",
        "duedate",
        "vendorname",
    ]


def test_purchase_invoice_values_are_netvisors() -> None:
    document = purchase_invoice_xml(INVOICE)
    invoice = etree.fromstring(document).find("purchaseinvoice")
    assert invoice is not None

    assert not document.startswith(b"<?xml") and document.startswith(b"<root>")
    assert invoice.findtext("amount") == "1240,50"
    assert invoice.find("invoicedate").get("format") == "ansi"  # type: ignore[union-attr]
    assert invoice.findtext("valuedate") == "2024-05-02"
    assert invoice.findtext("invoicesource") == "finvoice"
    assert (
        invoice.findtext("comment") == "Maventa invoice id: 7c9e6679-7425-40de-944b-e07fc1f90ae7\nTilaus 55"
    )
    assert invoice.find("purchaseinvoicelines/purchaseinvoiceline/linesum").get("type") == "brutto"  # type: ignore[union-attr]
    files = invoice.findall("purchaseinvoiceattachments/purchaseinvoiceattachment")
    assert [(f.findtext("filename"), f.find("documentdata").get("documenttype")) for f in files] == [  # type: ignore[union-attr]
        ("invoice.pdf", "invoiceimage"),
        ("erittely.pdf", "otherattachment"),
    ]
    assert base64.b64decode(files[1].findtext("documentdata") or "") == b"%PDF-1.4 spec"


def test_failed_answer_keeps_netvisors_text() -> None:
    # fastmonkeys AuthenticationFailed.xml (docs/facts/netvisor.md §3).
    body = (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n'
        "<Root><ResponseStatus><Status>FAILED</Status>"
        "<Status>AUTHENTICATION_FAILED :: Integraatiokumppania ei löydy, katso dokumentaatio</Status>"
        "<TimeStamp>7.4.2009 13:46:07</TimeStamp></ResponseStatus></Root>"
    ).encode()

    answer = parse_answer(body)

    assert (answer.ok, answer.code) == (False, "AUTHENTICATION_FAILED")
    assert answer.message == "Integraatiokumppania ei löydy, katso dokumentaatio"


def test_list_reads_decimal_commas_and_empty_fields() -> None:
    body = (
        "<Root><ResponseStatus><Status>OK</Status><TimeStamp>5.6.2023 16:12:09</TimeStamp></ResponseStatus>"
        "<PurchaseInvoiceList><PurchaseInvoice><NetvisorKey>165</NetvisorKey><InvoiceNumber>5</InvoiceNumber>"
        '<InvoiceDate format="ansi">2013-11-09</InvoiceDate><Vendor>Matti Meikäläinen</Vendor>'
        "<VendorOrganizationIdentifier /><Sum>1 123,45</Sum><Payments>0</Payments><OpenSum>45,67</OpenSum>"
        "<Uri>https://integration.netvisor.fi/getpurchaseinvoice.nv?netvisorkey=165</Uri>"
        "</PurchaseInvoice></PurchaseInvoiceList></Root>"
    ).encode()

    [summary] = parse_purchase_invoice_list(parse_answer(body).root)

    assert summary.netvisor_key == 165 and summary.invoice_date == date(2013, 11, 9)
    assert (summary.sum, summary.open_sum) == (Decimal("1123.45"), Decimal("45.67"))
    assert summary.vendor_business_id is None
