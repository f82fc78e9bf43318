"""Every sample document Maventa publishes parses to the values written in it."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from domain.finvoice import AttachmentKind, DocumentFormat, ReceivedInvoice, parse_invoice

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "maventa-examples"

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared/fixtures/maventa-examples is absent")


def parse_fixture(name: str) -> ReceivedInvoice:
    return parse_invoice((FIXTURES / name).read_bytes())


FINVOICE_SAMPLES = [
    # file, version, number, invoice date, due date, total incl. VAT, VAT, total excl. VAT, reference
    (
        "anon_finvoice_13_invoice_with_MessageTransmissionDetails.xml",
        "1.3",
        "2013000018",
        date(2020, 6, 24),
        date(2013, 8, 28),
        "165.54",
        "32.04",
        "133.50",
        "RF471234567890",
    ),
    (
        "anon_finvoice_13_invoice_with_SOAP.xml",
        "1.3",
        "2013000018",
        date(2020, 6, 24),
        date(2013, 8, 28),
        "165.54",
        "32.04",
        "133.50",
        "RF471234567890",
    ),
    (
        "anon_finvoice_20_invoice_with_MessageTransmissionDetails.xml",
        "2.0",
        "2013000018",
        date(2020, 6, 24),
        date(2020, 6, 30),
        "165.54",
        "32.04",
        "133.50",
        "RF471234567890",
    ),
    (
        "anon_finvoice_20_invoice_with_SOAP.xml",
        "2.0",
        "2013000018",
        date(2020, 6, 24),
        date(2020, 6, 30),
        "165.54",
        "32.04",
        "133.50",
        "RF471234567890",
    ),
    (
        "anon_finvoice_201_invoice_with_MessageTransmissionDetails.xml",
        "2.01",
        "2013000018",
        date(2013, 8, 14),
        date(2013, 8, 28),
        "165.54",
        "32.04",
        "133.50",
        "RF471234567890",
    ),
    (
        "anon_finvoice_201_invoice_with_SOAP.xml",
        "2.01",
        "2013000018",
        date(2013, 8, 14),
        date(2013, 8, 28),
        "165.54",
        "32.04",
        "133.50",
        "RF471234567890",
    ),
    (
        "anon_finvoice_30_invoice_with_MessageTransmissionDetails.xml",
        "3.0",
        "9190100001",
        date(2019, 1, 21),
        date(2019, 1, 28),
        "1116.00",
        "216.00",
        "900.00",
        "91901000011",
    ),
    (
        "anon_finvoice_30_invoice_with_SOAP.xml",
        "3.0",
        "9190100001",
        date(2019, 1, 21),
        date(2019, 1, 28),
        "1116.00",
        "216.00",
        "900.00",
        "91901000011",
    ),
]


@pytest.mark.parametrize(
    ("name", "version", "number", "invoice_date", "due_date", "total", "vat", "excluding", "reference"),
    FINVOICE_SAMPLES,
)
def test_finvoice_samples(
    name: str,
    version: str,
    number: str,
    invoice_date: date,
    due_date: date,
    total: str,
    vat: str,
    excluding: str,
    reference: str,
) -> None:
    invoice = parse_fixture(name)
    assert invoice.format == DocumentFormat.FINVOICE
    assert invoice.version == version
    assert invoice.number == number
    assert invoice.invoice_date == invoice_date
    assert invoice.due_date == due_date
    assert invoice.total_including_vat == Decimal(total)
    assert invoice.vat_amount == Decimal(vat)
    assert invoice.total_excluding_vat == Decimal(excluding)
    assert invoice.currency == "EUR"
    assert invoice.payment_reference == reference
    assert invoice.seller.name == "SellerOrganisationName SellerOrganisationName"
    assert invoice.seller.business_id == "1234567-8"
    assert invoice.seller.vat_number == "FI12345678"
    assert invoice.buyer.business_id == "1234567-8"
    assert not invoice.credit_note
    priced = [row for row in invoice.rows if row.unit_price is not None]
    assert priced, "the sample has a priced article row"
    assert priced[0].description == "ArticleName"


@pytest.mark.parametrize("version", ["13", "20", "201", "30"])
def test_soap_and_transmission_details_samples_carry_the_same_invoice(version: str) -> None:
    framed = parse_fixture(f"anon_finvoice_{version}_invoice_with_SOAP.xml")
    inline = parse_fixture(f"anon_finvoice_{version}_invoice_with_MessageTransmissionDetails.xml")
    assert framed.routing is not None and inline.routing is not None
    assert framed.routing.message_id != inline.routing.message_id
    assert framed.model_dump(exclude={"routing", "seller"}) == inline.model_dump(
        exclude={"routing", "seller"}
    )


def test_finvoice_30_details() -> None:
    invoice = parse_fixture("anon_finvoice_30_invoice_with_MessageTransmissionDetails.xml")
    assert invoice.seller_bic == "NDEAFIHH"
    assert invoice.seller.address is not None
    assert invoice.seller.address.country_code == "FI"
    assert invoice.buyer.name == "BuyerOrganisationName BuyerOrganisationName"
    assert invoice.free_text == "InvoiceFreeText\nInvoiceFreeText\nInvoiceFreeText"
    article = next(row for row in invoice.rows if row.description == "ArticleName")
    assert article.quantity == Decimal(1)
    assert article.unit == "KG"
    assert article.unit_price == Decimal("500.00")
    assert article.vat_percent == Decimal(24)
    assert article.amount == Decimal("900.00")
    assert article.vat_amount == Decimal("216.00")
    assert article.amount_including_vat == Decimal("1116.00")
    assert invoice.rows[-1].description == "SubArticleName"


def test_routing_from_transmission_details() -> None:
    routing = parse_fixture("anon_finvoice_30_invoice_with_MessageTransmissionDetails.xml").routing
    assert routing is not None
    assert routing.sender_address == "003712345678"
    assert routing.sender_operator == "003721291126"
    assert routing.receiver_address == "003712345678"
    assert routing.receiver_operator == "003721291126"
    assert routing.message_id == "FINVINV-8650"
    assert routing.timestamp == "2019-01-21T14:09:21+02:00"


def test_routing_from_the_soap_frame() -> None:
    routing = parse_fixture("anon_finvoice_30_invoice_with_SOAP.xml").routing
    assert routing is not None
    assert routing.message_id == "20130134/1"
    assert routing.receiver_operator == "003721291126"
    assert routing.timestamp == "2019-03-29T12:00:00"


def test_finvoice_links_are_attachment_references() -> None:
    invoice = parse_fixture("anon_finvoice_20_invoice_with_SOAP.xml")
    assert [(a.kind, a.name, a.url) for a in invoice.attachments] == [
        (
            AttachmentKind.LINK,
            "LIITE 1 (Nettitilasto)",
            "http://www.pankkiyhdistys.fi/verkkolasku/nettitilasto.pdf",
        ),
        (AttachmentKind.LINK, "LIITE 2 (Pankkiyhdistys)", "http://www.pankkiyhdistys.fi/verkkolasku"),
    ]


def test_peppol_bis_3_sample() -> None:
    invoice = parse_fixture("anon_peppol_bis_30_invoice.xml")
    assert invoice.format == DocumentFormat.PEPPOL_BIS
    assert invoice.version == "3.0"
    assert invoice.number == "ID"
    assert invoice.invoice_date == date(2018, 1, 17)
    assert invoice.due_date == date(2018, 1, 17)
    assert invoice.currency == "NOK"
    assert invoice.total_including_vat == Decimal("240.00")
    assert invoice.total_excluding_vat == Decimal("200.00")
    assert invoice.vat_amount == Decimal("40.00"), "the VAT total in NOK, not the SEK tax-currency total"
    assert invoice.seller.name == "RegistrationName"
    assert invoice.seller.business_id == "333333333"
    assert invoice.seller.einvoice_address == "0192:333333333"
    assert invoice.payment_reference == "PaymentID"
    assert [(row.quantity, row.unit_price, row.vat_percent, row.amount) for row in invoice.rows] == [
        (Decimal(1), Decimal("100.00"), Decimal("25.00"), Decimal("100.00")),
        (Decimal(2), Decimal("50.00"), Decimal("15.00"), Decimal("100.00")),
    ]


def test_teapps_sample() -> None:
    invoice = parse_fixture("anon_teapps_30_invoice.xml")
    assert invoice.format == DocumentFormat.TEAPPS
    assert invoice.version == "3.0"
    assert invoice.number == "321123"
    assert invoice.invoice_date == date(2012, 5, 29)
    assert invoice.due_date == date(2012, 6, 19)
    assert invoice.currency == "EUR"
    assert invoice.total_including_vat == Decimal("104.45")
    assert invoice.total_excluding_vat == Decimal("84.92")
    assert invoice.vat_amount == Decimal("19.53")
    assert invoice.seller.name == "CUSTOMER_NAME CUSTOMER_NAME"
    assert invoice.seller.business_id == "1234567-8"
    assert invoice.seller.einvoice_address == "003712345671"
    assert invoice.payment_reference == "54321"
    assert [a.name for a in invoice.attachments] == ["IMAGE_FILE.pdf"]
    first_article = next(row for row in invoice.rows if row.unit_price is not None)
    assert first_article.quantity == Decimal("1.000")
    assert first_article.unit_price == Decimal("75.00")
    assert first_article.vat_percent == Decimal("23.00")
    assert first_article.amount == Decimal("75.00")
    assert first_article.amount_including_vat == Decimal("92.25")


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xml")) if FIXTURES.is_dir() else [])
def test_every_fixture_parses_to_a_sensible_invoice(name: str) -> None:
    invoice = parse_fixture(name)
    assert invoice.number
    assert invoice.total_including_vat > 0
    assert invoice.seller.name
    assert len(invoice.currency) == 3
    assert invoice.due_date is not None
    assert invoice.rows
