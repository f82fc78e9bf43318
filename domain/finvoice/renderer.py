"""Rendering a `SalesInvoice` as a Finvoice 3.0 message for the operator network.

Element order follows Finvoice 3.0 (the XSD is a sequence, so order matters); amounts use a decimal comma,
dates `CCYYMMDD` with their Format attribute. The document is written in ISO-8859-15, the encoding the
Finnish banks and operators expect; a character outside it is written as a character reference, which
every XML reader resolves. Python does that encoding step: libxml2's own ISO-8859-15 output silently
drops some characters (e.g. U+E0001), which the round-trip property test found.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import cast

from lxml import etree

from domain.finvoice.sales_invoice import InvoiceKind, SalesAddress, SalesInvoice, SalesInvoiceRow
from domain.finvoice.values import format_amount, format_date
from domain.identifiers import OVT_PREFIX, normalise_einvoice_address, normalise_operator_code
from domain.payment_reference import reference_scheme

FINVOICE_VERSION = "3.0"
ENCODING = "ISO-8859-15"
DECLARATION = f'<?xml version="1.0" encoding="{ENCODING}"?>\n'.encode("ascii")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SEPA_CREDIT_TRANSFER = "58"
EPI_NAME_MAX_LENGTH = 35

_TYPE_CODES = {
    InvoiceKind.INVOICE: ("INV01", "380", "LASKU"),
    InvoiceKind.CREDIT_NOTE: ("INV02", "381", "HYVITYSLASKU"),
}


class InvalidMessage(ValueError):
    """Transmission details that cannot go into a Finvoice message."""


def render_finvoice(
    invoice: SalesInvoice,
    *,
    sender_einvoice_address: str,
    sender_operator: str,
    recipient_einvoice_address: str,
    recipient_operator: str,
    message_id: str,
    timestamp: datetime,
) -> bytes:
    """The Finvoice 3.0 document for `invoice`, addressed from the sender to the recipient.

    `message_id` must be unique per send (2 to 48 characters); `timestamp` is the aware time of sending.
    Addresses and operators are validated (`InvalidIdentifier`); bad transmission details raise
    `InvalidMessage`.
    """
    sender_address = normalise_einvoice_address(sender_einvoice_address)
    recipient_address = normalise_einvoice_address(recipient_einvoice_address)
    if not 2 <= len(message_id) <= 48 or not message_id.isprintable():
        raise InvalidMessage(f"message id {message_id!r} must be 2 to 48 printable characters")
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        raise InvalidMessage("the message timestamp needs a time zone")
    root = etree.Element(
        "Finvoice",
        {"Version": FINVOICE_VERSION, f"{{{XSI}}}noNamespaceSchemaLocation": "Finvoice3.0.xsd"},
        nsmap={"xsi": XSI},
    )
    _transmission_details(
        root,
        sender=(sender_address, normalise_operator_code(sender_operator)),
        recipient=(recipient_address, normalise_operator_code(recipient_operator)),
        message_id=message_id,
        timestamp=timestamp,
    )
    _seller(root, invoice, sender_address)
    _buyer(root, invoice, recipient_address)
    _invoice_details(root, invoice)
    for row in invoice.rows:
        _row(root, row, invoice.currency)
    _epi_details(root, invoice)
    body = cast(str, etree.tostring(root, encoding="unicode", pretty_print=True))
    return DECLARATION + body.encode(ENCODING, errors="xmlcharrefreplace")


def _add(parent: etree._Element, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _money(parent: etree._Element, tag: str, value: Decimal, currency: str) -> None:
    _add(parent, tag, format_amount(value), AmountCurrencyIdentifier=currency)


def _date(parent: etree._Element, tag: str, value: date) -> None:
    _add(parent, tag, format_date(value), Format="CCYYMMDD")


def _scheme_of(address: str) -> dict[str, str]:
    return {"SchemeID": OVT_PREFIX} if address.startswith(OVT_PREFIX) else {}


def _transmission_details(
    root: etree._Element,
    *,
    sender: tuple[str, str],
    recipient: tuple[str, str],
    message_id: str,
    timestamp: datetime,
) -> None:
    details = _add(root, "MessageTransmissionDetails")
    sender_details = _add(details, "MessageSenderDetails")
    _add(sender_details, "FromIdentifier", sender[0], **_scheme_of(sender[0]))
    _add(sender_details, "FromIntermediator", sender[1])
    receiver_details = _add(details, "MessageReceiverDetails")
    _add(receiver_details, "ToIdentifier", recipient[0], **_scheme_of(recipient[0]))
    _add(receiver_details, "ToIntermediator", recipient[1])
    message = _add(details, "MessageDetails")
    _add(message, "MessageIdentifier", message_id)
    _add(message, "MessageTimeStamp", timestamp.isoformat(timespec="seconds"))


def _postal_address(parent: etree._Element, prefix: str, address: SalesAddress) -> None:
    postal = _add(parent, f"{prefix}PostalAddressDetails")
    _add(postal, f"{prefix}StreetName", address.street)
    _add(postal, f"{prefix}TownName", address.town)
    _add(postal, f"{prefix}PostCodeIdentifier", address.post_code)
    _add(postal, "CountryCode", address.country_code)


def _seller(root: etree._Element, invoice: SalesInvoice, sender_address: str) -> None:
    seller = invoice.seller
    party = _add(root, "SellerPartyDetails")
    _add(party, "SellerPartyIdentifier", seller.business_id)
    _add(party, "SellerOrganisationName", seller.name)
    _add(party, "SellerOrganisationTaxCode", seller.vat_number)
    _postal_address(party, "Seller", seller.address)
    _add(root, "SellerOrganisationUnitNumber", sender_address)
    account = _add(_add(root, "SellerInformationDetails"), "SellerAccountDetails")
    _add(account, "SellerAccountID", seller.iban, IdentificationSchemeName="IBAN")
    _add(account, "SellerBic", seller.bic, IdentificationSchemeName="BIC")


def _buyer(root: etree._Element, invoice: SalesInvoice, recipient_address: str) -> None:
    buyer = invoice.buyer
    party = _add(root, "BuyerPartyDetails")
    if buyer.business_id is not None:
        _add(party, "BuyerPartyIdentifier", buyer.business_id)
    _add(party, "BuyerOrganisationName", buyer.name)
    if buyer.business_id is not None and buyer.address.country_code == "FI":
        _add(party, "BuyerOrganisationTaxCode", "FI" + buyer.business_id.replace("-", ""))
    _postal_address(party, "Buyer", buyer.address)
    if recipient_address.startswith(OVT_PREFIX):
        _add(root, "BuyerOrganisationUnitNumber", recipient_address)


def _invoice_details(root: etree._Element, invoice: SalesInvoice) -> None:
    currency = invoice.currency
    type_code, type_code_un, type_text = _TYPE_CODES[invoice.kind]
    details = _add(root, "InvoiceDetails")
    _add(details, "InvoiceTypeCode", type_code, CodeListAgencyIdentifier="SPY")
    _add(details, "InvoiceTypeCodeUN", type_code_un)
    _add(details, "InvoiceTypeText", type_text)
    _add(details, "OriginCode", "Original")
    _add(details, "InvoiceNumber", invoice.number)
    _date(details, "InvoiceDate", invoice.invoice_date)
    if invoice.order_reference is not None:
        _add(details, "OrderIdentifier", invoice.order_reference)
    _money(details, "RowsTotalVatExcludedAmount", invoice.total_excluding_vat, currency)
    _money(details, "InvoiceTotalVatExcludedAmount", invoice.total_excluding_vat, currency)
    _money(details, "InvoiceTotalVatAmount", invoice.vat_amount, currency)
    _money(details, "InvoiceTotalVatIncludedAmount", invoice.total_including_vat, currency)
    for entry in invoice.vat_breakdown():
        vat = _add(details, "VatSpecificationDetails")
        _money(vat, "VatBaseAmount", entry.base, currency)
        _add(vat, "VatRatePercent", format_amount(entry.vat_percent, min_places=0))
        _add(vat, "VatCode", entry.vat_code.value)
        _money(vat, "VatRateAmount", entry.vat_amount, currency)
    if invoice.free_text is not None:
        _add(details, "InvoiceFreeText", invoice.free_text)
    terms = _add(details, "PaymentTermsDetails")
    _add(terms, "PaymentTermsFreeText", f"{(invoice.due_date - invoice.invoice_date).days} pv netto")
    _date(terms, "InvoiceDueDate", invoice.due_date)


def _row(root: etree._Element, row: SalesInvoiceRow, currency: str) -> None:
    element = _add(root, "InvoiceRow")
    _add(element, "ArticleName", row.description)
    quantity = format_amount(row.quantity, min_places=0, max_places=4)
    if row.unit is not None:
        _add(element, "InvoicedQuantity", quantity, QuantityUnitCode=row.unit)
    else:
        _add(element, "InvoicedQuantity", quantity)
    _add(
        element,
        "UnitPriceAmount",
        format_amount(row.unit_price, max_places=5),
        AmountCurrencyIdentifier=currency,
    )
    _add(element, "RowVatRatePercent", format_amount(row.vat_percent, min_places=0))
    _add(element, "RowVatCode", row.vat_code.value)
    _money(element, "RowVatAmount", row.vat_amount, currency)
    _money(element, "RowVatExcludedAmount", row.amount, currency)
    _money(element, "RowAmount", row.amount_including_vat, currency)


def _epi_details(root: etree._Element, invoice: SalesInvoice) -> None:
    seller = invoice.seller
    epi = _add(root, "EpiDetails")
    identification = _add(epi, "EpiIdentificationDetails")
    _date(identification, "EpiDate", invoice.invoice_date)
    _add(identification, "EpiReference", "0")
    parties = _add(epi, "EpiPartyDetails")
    _add(_add(parties, "EpiBfiPartyDetails"), "EpiBfiIdentifier", seller.bic, IdentificationSchemeName="BIC")
    beneficiary = _add(parties, "EpiBeneficiaryPartyDetails")
    _add(beneficiary, "EpiNameAddressDetails", seller.name[:EPI_NAME_MAX_LENGTH].rstrip())
    _add(beneficiary, "EpiBei", seller.business_id)
    _add(beneficiary, "EpiAccountID", seller.iban, IdentificationSchemeName="IBAN")
    instruction = _add(epi, "EpiPaymentInstructionDetails")
    _add(
        instruction,
        "EpiRemittanceInfoIdentifier",
        invoice.payment_reference,
        IdentificationSchemeName=reference_scheme(invoice.payment_reference).value,
    )
    to_pay = max(invoice.total_including_vat, Decimal("0.00"))
    _money(instruction, "EpiInstructedAmount", to_pay, invoice.currency)
    _add(instruction, "EpiCharge", "SHA", ChargeOption="SHA")
    _date(instruction, "EpiDateOptionDate", invoice.due_date)
    _add(instruction, "EpiPaymentMeansCode", SEPA_CREDIT_TRANSFER)
