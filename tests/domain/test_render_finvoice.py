"""Rendering sales invoices to Finvoice 3.0: element order, format rules, round trip through the parser."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pydantic import ValidationError

from domain.finvoice import (
    DocumentFormat,
    InvalidMessage,
    InvoiceKind,
    ReceivedInvoice,
    SalesInvoice,
    parse_invoice,
    render_finvoice,
)
from domain.identifiers import InvalidIdentifier
from domain.payment_reference import finnish_reference_check_digit

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "maventa-examples"

# The Finvoice 3.0 element order as listed in docs/facts/einvoicing.md §1.2.
RESEARCH_TOP_LEVEL_ORDER = [
    "MessageTransmissionDetails",
    "SellerPartyDetails",
    "SellerOrganisationUnitNumber",
    "SellerContactPersonName",
    "SellerCommunicationDetails",
    "SellerInformationDetails",
    "InvoiceRecipientCommunicationDetails",
    "BuyerPartyDetails",
    "BuyerOrganisationUnitNumber",
    "BuyerCommunicationDetails",
    "DeliveryPartyDetails",
    "DeliveryDetails",
    "AnyPartyDetails",
    "InvoiceDetails",
    "VirtualBankBarcode",
    "InvoiceRow",
    "SpecificationDetails",
    "EpiDetails",
    "InvoiceUrlNameText",
    "InvoiceUrlText",
    "AttachmentMessageDetails",
]
RESEARCH_ORDER = {
    "SellerPartyDetails": [
        "SellerPartyIdentifier",
        "SellerOrganisationName",
        "SellerOrganisationTradingName",
        "SellerOrganisationTaxCode",
        "SellerPostalAddressDetails",
    ],
    "SellerPostalAddressDetails": [
        "SellerStreetName",
        "SellerTownName",
        "SellerPostCodeIdentifier",
        "CountryCode",
        "CountryName",
    ],
    "SellerAccountDetails": ["SellerAccountID", "SellerBic"],
    "BuyerPartyDetails": [
        "BuyerPartyIdentifier",
        "BuyerOrganisationName",
        "BuyerOrganisationTaxCode",
        "BuyerPostalAddressDetails",
    ],
    "InvoiceDetails": [
        "InvoiceTypeCode",
        "InvoiceTypeCodeUN",
        "InvoiceTypeText",
        "OriginCode",
        "InvoiceNumber",
        "InvoiceDate",
        "OrderIdentifier",
        "RowsTotalVatExcludedAmount",
        "InvoiceTotalVatExcludedAmount",
        "InvoiceTotalVatAmount",
        "InvoiceTotalVatIncludedAmount",
        "VatSpecificationDetails",
        "InvoiceFreeText",
        "PaymentTermsDetails",
    ],
    "VatSpecificationDetails": ["VatBaseAmount", "VatRatePercent", "VatCode", "VatRateAmount"],
    "PaymentTermsDetails": ["PaymentTermsFreeText", "InvoiceDueDate"],
    "InvoiceRow": [
        "ArticleIdentifier",
        "ArticleName",
        "InvoicedQuantity",
        "UnitPriceAmount",
        "UnitPriceBaseQuantity",
        "RowVatRatePercent",
        "RowVatCode",
        "RowVatAmount",
        "RowVatExcludedAmount",
        "RowAmount",
    ],
    "EpiDetails": ["EpiIdentificationDetails", "EpiPartyDetails", "EpiPaymentInstructionDetails"],
    "EpiIdentificationDetails": ["EpiDate", "EpiReference"],
    "EpiPartyDetails": ["EpiBfiPartyDetails", "EpiBeneficiaryPartyDetails"],
    "EpiBeneficiaryPartyDetails": ["EpiNameAddressDetails", "EpiBei", "EpiAccountID"],
    "EpiPaymentInstructionDetails": [
        "EpiRemittanceInfoIdentifier",
        "EpiInstructedAmount",
        "EpiCharge",
        "EpiDateOptionDate",
        "EpiPaymentMeansCode",
    ],
    "MessageTransmissionDetails": ["MessageSenderDetails", "MessageReceiverDetails", "MessageDetails"],
    "MessageSenderDetails": ["FromIdentifier", "FromIntermediator"],
    "MessageReceiverDetails": ["ToIdentifier", "ToIntermediator"],
    "MessageDetails": ["MessageIdentifier", "MessageTimeStamp"],
}

SENT_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def sample_invoice(**changes: Any) -> SalesInvoice:
    data: dict[str, Any] = {
        "number": "2026-0042",
        "invoice_date": "2026-03-02",
        "due_date": "2026-03-16",
        "seller": {
            "name": "Myyjä Oy",
            "business_id": "2129112-6",
            "address": {"street": "Keskuskatu 1", "post_code": "00100", "town": "Helsinki"},
            "iban": "FI49 5000 9420 0287 30",
            "bic": "OKOYFIHH",
        },
        "buyer": {
            "name": "Ostaja Ab",
            "business_id": "2332748-7",
            "address": {"street": "Hämeenkatu 2", "post_code": "33100", "town": "Tampere"},
        },
        "rows": [
            {
                "description": "Konsultointi",
                "quantity": "2.5",
                "unit": "h",
                "unit_price": "100",
                "vat_percent": "25.5",
            },
            {"description": "Kirja", "quantity": "3", "unit_price": "19.99", "vat_percent": "13.5"},
            {
                "description": "Lisätyö",
                "quantity": "1",
                "unit": "h",
                "unit_price": "80",
                "vat_percent": "25.5",
            },
        ],
        "payment_reference": "1234561",
        "order_reference": "PO-7",
        "free_text": "Kiitos tilauksesta",
    }
    data.update(changes)
    return SalesInvoice.model_validate(data)


def render(invoice: SalesInvoice, **changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "sender_einvoice_address": "003721291126",
        "sender_operator": "003721291126",
        "recipient_einvoice_address": "003723327487",
        "recipient_operator": "DABAFIHH",
        "message_id": "NV-2026-0042-1",
        "timestamp": SENT_AT,
    }
    arguments.update(changes)
    return render_finvoice(invoice, **arguments)


def child_tags(element: etree._Element) -> list[str]:
    return [child.tag for child in element if isinstance(child.tag, str)]


def is_in_order(tags: list[str], order: list[str]) -> bool:
    """Every tag is in `order`, and they appear in that order (repeats allowed)."""
    positions = [order.index(tag) for tag in tags if tag in order]
    return len(positions) == len(tags) and positions == sorted(positions)


def test_elements_follow_the_research_order() -> None:
    root = etree.fromstring(render(sample_invoice()))
    assert root.tag == "Finvoice"
    assert root.get("Version") == "3.0"
    top = child_tags(root)
    assert is_in_order(top, RESEARCH_TOP_LEVEL_ORDER), top
    assert top.count("InvoiceRow") == 3
    checked = 0
    for element in root.iter():
        if element.tag in RESEARCH_ORDER:
            assert is_in_order(child_tags(element), RESEARCH_ORDER[element.tag]), element.tag
            checked += 1
    assert checked >= 20


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared/fixtures/maventa-examples is absent")
def test_elements_follow_the_order_of_the_finvoice_30_sample() -> None:
    sample = etree.parse(str(FIXTURES / "anon_finvoice_30_invoice_with_MessageTransmissionDetails.xml"))

    def sample_order(tag: str) -> list[str]:
        order: list[str] = []
        for element in sample.iter(tag):
            for child in child_tags(element):
                if child not in order:
                    order.append(child)
        return order

    rendered = etree.fromstring(render(sample_invoice()))
    for tag in ("Finvoice", "InvoiceDetails", "InvoiceRow", "EpiDetails", "EpiPaymentInstructionDetails"):
        elements = [rendered] if tag == "Finvoice" else list(rendered.iter(tag))
        order = sample_order(tag)
        for element in elements:
            known = [child for child in child_tags(element) if child in order]
            unseen = set(child_tags(element)) - set(order)
            assert unseen <= {"BuyerOrganisationUnitNumber"}, (
                "the 3.0 sample has no buyer OVT; research places it"
            )
            assert is_in_order(known, order), tag


def test_format_rules() -> None:
    document = render(sample_invoice())
    assert document.startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>\n<Finvoice')
    root = etree.fromstring(document)
    details = root.find("InvoiceDetails")
    assert details is not None
    assert details.findtext("InvoiceTotalVatIncludedAmount") == "482,22"
    assert details.findtext("InvoiceTotalVatExcludedAmount") == "389,97"
    assert details.findtext("InvoiceTotalVatAmount") == "92,25"
    assert details.find("InvoiceDate").get("Format") == "CCYYMMDD"  # type: ignore[union-attr]
    assert details.findtext("InvoiceDate") == "20260302"
    assert details.findtext("PaymentTermsDetails/InvoiceDueDate") == "20260316"
    assert [v.findtext("VatRatePercent") for v in details.findall("VatSpecificationDetails")] == [
        "25,5",
        "13,5",
    ]
    assert [v.findtext("VatRateAmount") for v in details.findall("VatSpecificationDetails")] == [
        "84,15",
        "8,10",
    ]
    for element in root.iter():
        if element.get("AmountCurrencyIdentifier") is not None:
            assert "," in (element.text or ""), element.tag
            assert "." not in (element.text or ""), element.tag
    epi = root.find("EpiDetails/EpiPaymentInstructionDetails")
    assert epi is not None
    assert epi.findtext("EpiRemittanceInfoIdentifier") == "1234561"
    assert epi.find("EpiRemittanceInfoIdentifier").get("IdentificationSchemeName") == "SPY"  # type: ignore[union-attr]
    assert epi.findtext("EpiInstructedAmount") == "482,22"
    assert epi.findtext("EpiDateOptionDate") == "20260316"
    assert (
        root.findtext("EpiDetails/EpiPartyDetails/EpiBeneficiaryPartyDetails/EpiAccountID")
        == "FI4950009420028730"
    )
    assert root.findtext("EpiDetails/EpiPartyDetails/EpiBfiPartyDetails/EpiBfiIdentifier") == "OKOYFIHH"


def test_transmission_details_carry_both_addresses_and_operators() -> None:
    root = etree.fromstring(render(sample_invoice()))
    mtd = root.find("MessageTransmissionDetails")
    assert mtd is not None
    assert mtd.findtext("MessageSenderDetails/FromIdentifier") == "003721291126"
    assert mtd.findtext("MessageSenderDetails/FromIntermediator") == "003721291126"
    assert mtd.findtext("MessageReceiverDetails/ToIdentifier") == "003723327487"
    assert mtd.findtext("MessageReceiverDetails/ToIntermediator") == "DABAFIHH"
    assert mtd.findtext("MessageDetails/MessageIdentifier") == "NV-2026-0042-1"
    assert mtd.findtext("MessageDetails/MessageTimeStamp") == "2026-03-02T09:30:00+00:00"
    assert root.findtext("SellerOrganisationUnitNumber") == "003721291126"
    assert root.findtext("BuyerOrganisationUnitNumber") == "003723327487"


def test_iban_recipient_is_allowed_and_not_written_as_buyer_ovt() -> None:
    root = etree.fromstring(render(sample_invoice(), recipient_einvoice_address="FI49 5000 9420 0287 30"))
    assert (
        root.findtext("MessageTransmissionDetails/MessageReceiverDetails/ToIdentifier")
        == "FI4950009420028730"
    )
    assert root.find("BuyerOrganisationUnitNumber") is None


def test_credit_note() -> None:
    rows = [{"description": "Hyvitys", "quantity": "-1", "unit_price": "100", "vat_percent": "25.5"}]
    credit_note = sample_invoice(kind="CREDIT_NOTE", rows=rows)
    root = etree.fromstring(render(credit_note))
    assert root.findtext("InvoiceDetails/InvoiceTypeCode") == "INV02"
    assert root.findtext("InvoiceDetails/InvoiceTotalVatIncludedAmount") == "-125,50"
    parsed = parse_invoice(render(credit_note))
    assert parsed.credit_note
    assert parsed.total_including_vat == Decimal("-125.50")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"due_date": "2026-03-01"}, "before the invoice date"),
        ({"number": "X" * 21}, "at most 20 characters"),
        ({"payment_reference": "1234562"}, "check digit"),
        ({"rows": []}, "at least 1 item"),
        ({"currency": "eur"}, "pattern"),
        ({"free_text": "bell \x07"}, "control characters"),
        ({"unknown_field": 1}, "Extra inputs are not permitted"),
        ({"kind": "CREDIT_NOTE"}, "credit note must total zero or less"),
    ],
)
def test_invalid_sales_invoice_is_refused_with_a_reason(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        sample_invoice(**changes)


def test_invalid_seller_identifiers_are_refused() -> None:
    seller = sample_invoice().seller.model_dump()
    with pytest.raises(ValidationError, match="check digit"):
        sample_invoice(seller={**seller, "business_id": "2129112-5"})
    with pytest.raises(ValidationError, match="IBAN"):
        sample_invoice(seller={**seller, "iban": "FI4950009420028731"})


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"recipient_einvoice_address": "003721291125"}, InvalidIdentifier),
        ({"recipient_operator": "DABA"}, InvalidIdentifier),
        ({"message_id": "x"}, InvalidMessage),
        ({"timestamp": datetime(2026, 3, 2, 9, 30)}, InvalidMessage),
    ],
)
def test_invalid_transmission_details_are_refused(changes: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        render(sample_invoice(), **changes)


def test_characters_outside_iso_8859_15_survive_as_references() -> None:
    invoice = sample_invoice(
        buyer={**sample_invoice().buyer.model_dump(), "name": "Łódź Ćwiczenia Sp. z o.o. 😀 \U000e0001\u200d"}
    )
    document = render(invoice)
    assert b"&#321;" in document
    assert parse_invoice(document).buyer.name == "Łódź Ćwiczenia Sp. z o.o. 😀 \U000e0001\u200d"


def assert_same_invoice(sent: SalesInvoice, received: ReceivedInvoice) -> None:
    assert received.format == DocumentFormat.FINVOICE
    assert received.version == "3.0"
    assert received.credit_note == (sent.kind == InvoiceKind.CREDIT_NOTE)
    assert received.number == sent.number
    assert received.invoice_date == sent.invoice_date
    assert received.due_date == sent.due_date
    assert received.currency == sent.currency
    assert received.seller.name == sent.seller.name
    assert received.seller.business_id == sent.seller.business_id
    assert received.seller.vat_number == sent.seller.vat_number
    assert received.seller.address is not None
    assert received.seller.address.street == sent.seller.address.street
    assert received.seller.address.post_code == sent.seller.address.post_code
    assert received.seller.address.town == sent.seller.address.town
    assert received.seller.address.country_code == sent.seller.address.country_code
    assert received.buyer.name == sent.buyer.name
    assert received.buyer.business_id == sent.buyer.business_id
    assert received.total_excluding_vat == sent.total_excluding_vat
    assert received.vat_amount == sent.vat_amount
    assert received.total_including_vat == sent.total_including_vat
    assert received.payment_reference == sent.payment_reference
    assert received.seller_iban == sent.seller.iban
    assert received.seller_bic == sent.seller.bic
    assert received.free_text == sent.free_text
    assert len(received.rows) == len(sent.rows)
    for got, row in zip(received.rows, sent.rows, strict=True):
        assert got.description == row.description
        assert got.quantity == row.quantity
        assert got.unit == row.unit
        assert got.unit_price == row.unit_price
        assert got.vat_percent == row.vat_percent
        assert got.amount == row.amount
        assert got.vat_amount == row.vat_amount
        assert got.amount_including_vat == row.amount_including_vat


def test_round_trip_of_the_sample() -> None:
    sent = sample_invoice()
    assert_same_invoice(sent, parse_invoice(render(sent)))


def valid_business_ids() -> st.SearchStrategy[str]:
    def remainder(first_seven: str) -> int:
        return sum(int(d) * w for d, w in zip(first_seven, (7, 9, 10, 5, 8, 4, 2), strict=True)) % 11

    def with_check_digit(first_seven: str) -> str:
        return f"{first_seven}-{(11 - remainder(first_seven)) % 11}"

    digits = st.from_regex(r"[0-9]{7}", fullmatch=True)
    return digits.filter(lambda first_seven: remainder(first_seven) != 1).map(with_check_digit)


TEXT_ALPHABET = st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs", "Cf"))


def text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(TEXT_ALPHABET, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def finnish_reference() -> st.SearchStrategy[str]:
    return st.from_regex(r"[1-9][0-9]{2,18}", fullmatch=True).map(
        lambda b: b + str(finnish_reference_check_digit(b))
    )


addresses = st.fixed_dictionaries(
    {
        "street": text(70),
        "post_code": text(35),
        "town": text(35),
        "country_code": st.sampled_from(["FI", "SE", "EE"]),
    }
)
rows = st.fixed_dictionaries(
    {
        "description": text(100),
        "quantity": st.decimals(min_value=0, max_value=10_000, places=3),
        "unit": st.none() | text(14),
        "unit_price": st.decimals(min_value=0, max_value=100_000, places=5),
        "vat_percent": st.sampled_from(
            [Decimal(0), Decimal("10"), Decimal("13.5"), Decimal("14"), Decimal("25.5")]
        ),
    }
)


@st.composite
def sales_invoices(draw: st.DrawFn) -> SalesInvoice:
    invoice_date = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)))
    return SalesInvoice.model_validate(
        {
            "number": draw(text(20)),
            "invoice_date": invoice_date,
            "due_date": invoice_date + timedelta(days=draw(st.integers(0, 90))),
            "currency": draw(st.sampled_from(["EUR", "SEK", "USD"])),
            "seller": {
                "name": draw(text(70)),
                "business_id": draw(valid_business_ids()),
                "address": draw(addresses),
                "iban": draw(
                    st.sampled_from(["FI4950009420028730", "FI2112345600000785", "SE4550000000058398257466"])
                ),
                "bic": draw(st.sampled_from(["OKOYFIHH", "NDEAFIHH", "DABAFIHH", "ESSESESS"])),
            },
            "buyer": {
                "name": draw(text(70)),
                "business_id": draw(st.none() | valid_business_ids()),
                "address": draw(addresses),
            },
            "rows": draw(st.lists(rows, min_size=1, max_size=5)),
            "payment_reference": draw(finnish_reference() | st.just("RF18539007547034")),
            "order_reference": draw(st.none() | text(70)),
            "free_text": draw(st.none() | st.lists(text(120), min_size=1, max_size=4).map("\n".join)),
        }
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sales_invoices())
def test_round_trip_render_then_parse_gives_the_same_invoice(sent: SalesInvoice) -> None:
    document = render(sent)
    assert_same_invoice(sent, parse_invoice(document))
    assert is_in_order(child_tags(etree.fromstring(document)), RESEARCH_TOP_LEVEL_ORDER)
