"""Generated received invoices: valid Finvoice 3.0, a PDF image and, for about one in three, an attachment.

Element order and formats follow docs/facts/einvoicing.md §1.2 and the anonymised Visma sample
`anon_finvoice_30_invoice_with_MessageTransmissionDetails.xml`: ISO-8859-15, decimal comma, CCYYMMDD dates.
Everything is derived from a seed, so the same company and invoice number give the same document.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from sandbox.maventa.identifiers import (
    MAVENTA_OPERATOR_ID,
    finnish_iban,
    generated_business_id,
    ovt_address,
    reference_number,
    vat_number,
    virtual_barcode,
)
from sandbox.maventa.pdf import text_pdf

XSI = "http://www.w3.org/2001/XMLSchema-instance"
# Finland's general VAT rate since 1 September 2024 (general knowledge, not from docs/facts).
VAT_RATE = Decimal("25.5")
CENT = Decimal("0.01")

_SELLERS = (
    "Kärkkäisen Rakennus Oy",
    "Pohjolan Sähkö ja Valo Oy",
    "Mäkelän Kuljetus Ky",
    "Öljyhuolto Äijälä Oy",
    "Tietotaito Åström Ab",
)
_TOWNS = (("Helsinki", "00100"), ("Tampere", "33100"), ("Oulu", "90100"), ("Jyväskylä", "40100"))
_ARTICLES = (
    ("TYÖ", "Asennustyö", "h"),
    ("KULJ", "Kuljetus ja käsittely", "kpl"),
    ("TARV", "Tarvikkeet, pienosat", "kpl"),
    ("YLL", "Ylläpitopalvelu kuukausi", "kk"),
)
# Intermediators by channel (docs/facts/einvoicing.md §3): a bank-using sender reaches a Maventa
# customer through Danske Bank (DABAFIHH); an operator-network sender through its own operator (Apix here).
_INTERMEDIATORS = {
    "OPERATOR": ("003723327487", MAVENTA_OPERATOR_ID),
    "BANK": ("OKOYFIHH", "DABAFIHH"),
    "PEPPOL": (MAVENTA_OPERATOR_ID, MAVENTA_OPERATOR_ID),
    "SCAN": (MAVENTA_OPERATOR_ID, MAVENTA_OPERATOR_ID),
}


@dataclass
class Buyer:
    business_id: str
    name: str


@dataclass
class GeneratedFile:
    filename: str
    mimetype: str
    content: bytes


@dataclass
class GeneratedInvoice:
    document: bytes
    number: str
    reference: str
    sender_business_id: str
    sender_name: str
    invoice_date: date
    due_date: date
    sum: Decimal
    sum_tax: Decimal
    virtual_barcode: str
    image: bytes
    attachments: list[GeneratedFile] = field(default_factory=list)


def amount(value: Decimal) -> str:
    return f"{value.quantize(CENT, ROUND_HALF_UP):.2f}".replace(".", ",")


def ccyymmdd(value: date) -> str:
    return value.strftime("%Y%m%d")


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _rows(rng: random.Random, total: Decimal | None) -> list[tuple[str, str, str, Decimal, Decimal]]:
    """(article id, name, unit, quantity, unit price) rows; one row carrying `total` when it is given."""
    if total is not None:
        code, name, unit = _ARTICLES[rng.randrange(len(_ARTICLES))]
        return [(code, name, unit, Decimal(1), total.quantize(CENT))]
    rows = []
    for _ in range(rng.randint(1, 3)):
        code, name, unit = _ARTICLES[rng.randrange(len(_ARTICLES))]
        rows.append((code, name, unit, Decimal(rng.randint(1, 8)), Decimal(rng.randint(1500, 40000)) / 100))
    return rows


def generate_invoice(
    *,
    buyer: Buyer,
    number: str,
    channel: str,
    received_at: datetime,
    seed: str,
    sender_business_id: str | None = None,
    total_vat_excluded: Decimal | None = None,
) -> GeneratedInvoice:
    rng = random.Random(seed)
    seller_bid = sender_business_id or generated_business_id(rng)
    seller_name = _SELLERS[rng.randrange(len(_SELLERS))]
    town, post_code = _TOWNS[rng.randrange(len(_TOWNS))]
    seller_iban = finnish_iban(rng)
    invoice_date = received_at.date() - timedelta(days=rng.randint(0, 3))
    due_date = invoice_date + timedelta(days=14)
    reference = reference_number(number)
    from_intermediator, to_intermediator = _INTERMEDIATORS[channel]

    rows = _rows(rng, total_vat_excluded)
    row_amounts = [(q * p).quantize(CENT, ROUND_HALF_UP) for _, _, _, q, p in rows]
    row_vats = [(a * VAT_RATE / 100).quantize(CENT, ROUND_HALF_UP) for a in row_amounts]
    total_excl = sum(row_amounts, Decimal(0))
    total_vat = sum(row_vats, Decimal(0))
    total_incl = total_excl + total_vat
    barcode = virtual_barcode(seller_iban, amount(total_incl), reference, ccyymmdd(due_date))
    has_attachment = channel != "BANK" and rng.randrange(3) == 0

    root = etree.Element("Finvoice", {"Version": "3.0"}, nsmap={"xsi": XSI})
    root.set(f"{{{XSI}}}noNamespaceSchemaLocation", "Finvoice3.0.xsd")
    transmission = _sub(root, "MessageTransmissionDetails")
    sender_details = _sub(transmission, "MessageSenderDetails")
    _sub(sender_details, "FromIdentifier", ovt_address(seller_bid), SchemeID="0037")
    _sub(sender_details, "FromIntermediator", from_intermediator)
    receiver_details = _sub(transmission, "MessageReceiverDetails")
    _sub(receiver_details, "ToIdentifier", ovt_address(buyer.business_id), SchemeID="0037")
    _sub(receiver_details, "ToIntermediator", to_intermediator)
    message = _sub(transmission, "MessageDetails")
    _sub(message, "MessageIdentifier", f"SANDBOX-{number}")
    _sub(message, "MessageTimeStamp", received_at.strftime("%Y-%m-%dT%H:%M:%S+00:00"))

    seller = _sub(root, "SellerPartyDetails")
    _sub(seller, "SellerPartyIdentifier", seller_bid)
    _sub(seller, "SellerOrganisationName", seller_name)
    _sub(seller, "SellerOrganisationTaxCode", vat_number(seller_bid))
    seller_address = _sub(seller, "SellerPostalAddressDetails")
    _sub(seller_address, "SellerStreetName", f"Teollisuuskatu {rng.randint(1, 40)}")
    _sub(seller_address, "SellerTownName", town)
    _sub(seller_address, "SellerPostCodeIdentifier", post_code)
    _sub(seller_address, "CountryCode", "FI")
    _sub(seller_address, "CountryName", "Suomi")
    _sub(root, "SellerOrganisationUnitNumber", ovt_address(seller_bid))
    seller_information = _sub(root, "SellerInformationDetails")
    account = _sub(seller_information, "SellerAccountDetails")
    _sub(account, "SellerAccountID", seller_iban, IdentificationSchemeName="IBAN")
    _sub(account, "SellerBic", "OKOYFIHH", IdentificationSchemeName="BIC")

    buyer_party = _sub(root, "BuyerPartyDetails")
    _sub(buyer_party, "BuyerPartyIdentifier", buyer.business_id)
    _sub(buyer_party, "BuyerOrganisationName", buyer.name)
    _sub(buyer_party, "BuyerOrganisationTaxCode", vat_number(buyer.business_id))
    buyer_address = _sub(buyer_party, "BuyerPostalAddressDetails")
    _sub(buyer_address, "BuyerStreetName", "Ostajankatu 1")
    _sub(buyer_address, "BuyerTownName", "Espoo")
    _sub(buyer_address, "BuyerPostCodeIdentifier", "02100")
    _sub(buyer_address, "CountryCode", "FI")
    _sub(root, "BuyerOrganisationUnitNumber", ovt_address(buyer.business_id))

    details = _sub(root, "InvoiceDetails")
    _sub(details, "InvoiceTypeCode", "INV01", CodeListAgencyIdentifier="SPY")
    _sub(details, "InvoiceTypeCodeUN", "380")
    _sub(details, "InvoiceTypeText", "LASKU")
    _sub(details, "OriginCode", "Original")
    _sub(details, "InvoiceNumber", number)
    _sub(details, "InvoiceDate", ccyymmdd(invoice_date), Format="CCYYMMDD")
    for tag, value in (
        ("RowsTotalVatExcludedAmount", total_excl),
        ("InvoiceTotalVatExcludedAmount", total_excl),
        ("InvoiceTotalVatAmount", total_vat),
        ("InvoiceTotalVatIncludedAmount", total_incl),
    ):
        _sub(details, tag, amount(value), AmountCurrencyIdentifier="EUR")
    vat = _sub(details, "VatSpecificationDetails")
    _sub(vat, "VatBaseAmount", amount(total_excl), AmountCurrencyIdentifier="EUR")
    _sub(vat, "VatRatePercent", str(VAT_RATE).replace(".", ","))
    _sub(vat, "VatCode", "S")
    _sub(vat, "VatRateAmount", amount(total_vat), AmountCurrencyIdentifier="EUR")
    terms = _sub(details, "PaymentTermsDetails")
    _sub(terms, "PaymentTermsFreeText", "14 päivää netto")
    _sub(terms, "InvoiceDueDate", ccyymmdd(due_date), Format="CCYYMMDD")
    _sub(root, "VirtualBankBarcode", barcode)

    for position, ((code, name, unit, quantity, price), row_amount, row_vat) in enumerate(
        zip(rows, row_amounts, row_vats, strict=True), start=1
    ):
        row = _sub(root, "InvoiceRow")
        _sub(row, "ArticleIdentifier", code)
        _sub(row, "ArticleName", name)
        _sub(row, "InvoicedQuantity", str(quantity), QuantityUnitCode=unit)
        _sub(row, "UnitPriceAmount", amount(price), AmountCurrencyIdentifier="EUR")
        _sub(row, "RowPositionIdentifier", str(position))
        _sub(row, "RowFreeText", "Hinta sisältää toimituksen (€)")
        _sub(row, "RowVatRatePercent", str(VAT_RATE).replace(".", ","))
        _sub(row, "RowVatCode", "S")
        _sub(row, "RowVatAmount", amount(row_vat), AmountCurrencyIdentifier="EUR")
        _sub(row, "RowVatExcludedAmount", amount(row_amount), AmountCurrencyIdentifier="EUR")
        _sub(row, "RowAmount", amount(row_amount + row_vat), AmountCurrencyIdentifier="EUR")

    epi = _sub(root, "EpiDetails")
    identification = _sub(epi, "EpiIdentificationDetails")
    _sub(identification, "EpiDate", ccyymmdd(invoice_date), Format="CCYYMMDD")
    _sub(identification, "EpiReference", reference)
    party = _sub(epi, "EpiPartyDetails")
    bfi = _sub(party, "EpiBfiPartyDetails")
    _sub(bfi, "EpiBfiIdentifier", "OKOYFIHH", IdentificationSchemeName="BIC")
    beneficiary = _sub(party, "EpiBeneficiaryPartyDetails")
    _sub(beneficiary, "EpiNameAddressDetails", seller_name)
    _sub(beneficiary, "EpiBei", seller_bid)
    _sub(beneficiary, "EpiAccountID", seller_iban, IdentificationSchemeName="IBAN")
    instruction = _sub(epi, "EpiPaymentInstructionDetails")
    _sub(instruction, "EpiRemittanceInfoIdentifier", reference, IdentificationSchemeName="SPY")
    _sub(instruction, "EpiInstructedAmount", amount(total_incl), AmountCurrencyIdentifier="EUR")
    _sub(instruction, "EpiCharge", "SHA", ChargeOption="SHA")
    _sub(instruction, "EpiDateOptionDate", ccyymmdd(due_date), Format="CCYYMMDD")
    _sub(instruction, "EpiPaymentMeansCode", "58")

    attachments = []
    if has_attachment:
        # The identifier must match `.{2,48}::attachments` (docs/facts/einvoicing.md §1.5).
        attachment_details = _sub(root, "AttachmentMessageDetails")
        _sub(attachment_details, "AttachmentMessageIdentifier", f"ATTM{number}::attachments")
        attachments.append(
            GeneratedFile(
                filename=f"erittely_{number}.pdf",
                mimetype="application/pdf",
                content=text_pdf(f"Erittely / Specification {number}", [f"{c} {n}" for c, n, *_ in rows]),
            )
        )

    document = etree.tostring(root, xml_declaration=True, encoding="ISO-8859-15", pretty_print=True)
    assert isinstance(document, bytes)
    image = text_pdf(
        f"LASKU {number}",
        [
            f"Myyja: {seller_name} ({seller_bid})",
            f"Ostaja: {buyer.name} ({buyer.business_id})",
            f"Laskun pvm: {invoice_date.isoformat()}  Erapaiva: {due_date.isoformat()}",
            f"Viite: {reference}  Tili: {seller_iban}",
            *[f"{c} {n} {q} {unit} x {amount(p)} EUR" for c, n, unit, q, p in rows],
            f"Veroton yhteensa: {amount(total_excl)} EUR",
            f"ALV {VAT_RATE} %: {amount(total_vat)} EUR",
            f"Yhteensa: {amount(total_incl)} EUR",
        ],
    )
    return GeneratedInvoice(
        document=document,
        number=number,
        reference=reference,
        sender_business_id=seller_bid,
        sender_name=seller_name,
        invoice_date=invoice_date,
        due_date=due_date,
        sum=total_excl,
        sum_tax=total_incl,
        virtual_barcode=barcode,
        image=image,
        attachments=attachments,
    )
