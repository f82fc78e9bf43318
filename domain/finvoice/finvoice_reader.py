"""Reading a Finvoice 1.3, 2.0, 2.01 or 3.0 invoice; routing from MessageTransmissionDetails or the frame."""

from decimal import Decimal

from lxml import etree

from domain.finvoice import received_invoice as received
from domain.finvoice.credit_notes import money_reversed
from domain.finvoice.errors import UnparsableInvoice
from domain.finvoice.values import parse_amount, parse_date
from domain.finvoice.xml_reading import (
    amount_at,
    compact,
    joined,
    required_text,
    single_line,
    text_at,
    texts_at,
)

CREDIT_NOTE_TYPE_CODES = frozenset({"INV02"})
CREDIT_NOTE_UN_CODES = frozenset({"381"})


def read_finvoice(root: etree._Element, frame: etree._Element | None) -> received.ReceivedInvoice:
    """The invoice in a Finvoice root element; `frame` is the SOAP envelope that preceded it, if any."""
    details = root.find("InvoiceDetails")
    if details is None:
        raise UnparsableInvoice("Finvoice has no InvoiceDetails")
    epi = root.find("EpiDetails")
    total = details.find("InvoiceTotalVatIncludedAmount")
    if total is None or not (total.text or "").strip():
        total = root.find("EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount")
    if total is None or not (total.text or "").strip():
        raise UnparsableInvoice("Finvoice has no InvoiceTotalVatIncludedAmount")
    due_date = text_at(details, "PaymentTermsDetails/InvoiceDueDate") or text_at(
        epi, "EpiPaymentInstructionDetails/EpiDateOptionDate"
    )
    routing = _routing(root, frame)
    total_including_vat = parse_amount(total.text or "", field=total.tag)
    credit_note = _is_credit_note(details) or total_including_vat < 0
    invoice = received.ReceivedInvoice(
        format=received.DocumentFormat.FINVOICE,
        version=root.get("Version") or "unknown",
        credit_note=credit_note,
        number=required_text(details, "InvoiceNumber", document="Finvoice"),
        invoice_date=parse_date(
            required_text(details, "InvoiceDate", document="Finvoice"), field="InvoiceDate"
        ),
        due_date=parse_date(due_date, field="InvoiceDueDate") if due_date else None,
        seller=_seller(root, routing),
        buyer=received.ReceivedBuyer(
            name=single_line(joined(texts_at(root, "BuyerPartyDetails/BuyerOrganisationName"))),
            business_id=text_at(root, "BuyerPartyDetails/BuyerPartyIdentifier"),
        ),
        total_including_vat=total_including_vat,
        vat_amount=amount_at(details, "InvoiceTotalVatAmount"),
        total_excluding_vat=amount_at(details, "InvoiceTotalVatExcludedAmount"),
        prepaid_amount=amount_at(details, "InvoicePaidAmount"),
        rounding_amount=amount_at(details, "InvoiceTotalRoundoffAmount"),
        amount_to_pay=amount_at(epi, "EpiPaymentInstructionDetails/EpiInstructedAmount"),
        allowances_charges=_allowances_charges(details),
        vat_breakdown=[_vat_subtotal(element) for element in details.findall("VatSpecificationDetails")],
        currency=total.get("AmountCurrencyIdentifier") or "EUR",
        payment_reference=text_at(epi, "EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier")
        or text_at(epi, "EpiIdentificationDetails/EpiReference"),
        seller_iban=_account(root, epi),
        seller_bic=compact(
            text_at(epi, "EpiPartyDetails/EpiBfiPartyDetails/EpiBfiIdentifier")
            or text_at(root, "SellerInformationDetails/SellerAccountDetails/SellerBic")
        ),
        rows=[row for row in map(_row, root.findall("InvoiceRow")) if row != received.ReceivedInvoiceRow()],
        attachments=_attachments(root),
        free_text=joined(texts_at(details, "InvoiceFreeText"), "\n"),
        routing=routing,
    )
    if credit_note and total_including_vat > 0:
        return money_reversed(invoice)
    return invoice


def _account(root: etree._Element, epi: etree._Element | None) -> str | None:
    """The payee's account: the payment order's when it is an IBAN, else the first IBAN the seller lists,
    else whatever account the payment order names (an old domestic BBAN)."""
    candidates = [
        *(epi.findall("EpiPartyDetails/EpiBeneficiaryPartyDetails/EpiAccountID") if epi is not None else []),
        *root.findall("SellerInformationDetails/SellerAccountDetails/SellerAccountID"),
    ]
    accounts = [(element.get("IdentificationSchemeName"), compact(element.text)) for element in candidates]
    ibans = [number for scheme, number in accounts if number and scheme in (None, "IBAN")]
    return next(iter(ibans), None) or next((number for _scheme, number in accounts if number), None)


def _allowances_charges(details: etree._Element) -> list[received.AllowanceCharge]:
    """Invoice-level discounts and charges (Finvoice 3.0 DiscountDetails, ChargeDetails), VAT excluded."""
    found = []
    for path, sign in (("DiscountDetails", -1), ("ChargeDetails", 1)):
        for element in details.findall(path):
            amount = amount_at(element, "Amount")
            if amount is None:
                continue
            found.append(
                received.AllowanceCharge(
                    reason=text_at(element, "ReasonText") or joined(texts_at(element, "FreeText")),
                    amount=sign * abs(amount),
                    vat_percent=amount_at(element, "VatRatePercent"),
                )
            )
    return found


def _vat_subtotal(element: etree._Element) -> received.VatSubtotal:
    return received.VatSubtotal(
        vat_percent=amount_at(element, "VatRatePercent"),
        category=text_at(element, "VatCode"),
        taxable_amount=amount_at(element, "VatBaseAmount"),
        vat_amount=amount_at(element, "VatRateAmount") or Decimal(0),
    )


def _is_credit_note(details: etree._Element) -> bool:
    return (
        text_at(details, "InvoiceTypeCode") in CREDIT_NOTE_TYPE_CODES
        or text_at(details, "InvoiceTypeCodeUN") in CREDIT_NOTE_UN_CODES
    )


def _seller(root: etree._Element, routing: received.Routing | None) -> received.ReceivedSeller:
    party = root.find("SellerPartyDetails")
    postal = party.find("SellerPostalAddressDetails") if party is not None else None
    address = (
        received.PostalAddress(
            street=joined(texts_at(postal, "SellerStreetName")),
            post_code=text_at(postal, "SellerPostCodeIdentifier"),
            town=text_at(postal, "SellerTownName"),
            country_code=text_at(postal, "CountryCode"),
        )
        if postal is not None
        else None
    )
    return received.ReceivedSeller(
        name=single_line(joined(texts_at(party, "SellerOrganisationName"))),
        business_id=text_at(party, "SellerPartyIdentifier"),
        vat_number=text_at(party, "SellerOrganisationTaxCode"),
        address=address,
        einvoice_address=text_at(root, "SellerOrganisationUnitNumber")
        or (routing.sender_address if routing else None),
    )


def _row(row: etree._Element) -> received.ReceivedInvoiceRow:
    quantity = row.find("InvoicedQuantity")
    if quantity is None or not (quantity.text or "").strip():
        quantity = row.find("DeliveredQuantity")
    has_quantity = quantity is not None and bool((quantity.text or "").strip())
    description = (
        text_at(row, "ArticleName")
        or text_at(row, "ArticleDescription")
        or joined(texts_at(row, "RowFreeText"), "\n")
        or text_at(row, "SubInvoiceRow/SubArticleName")
        or joined(texts_at(row, "SubInvoiceRow/SubRowFreeText"), "\n")
    )
    return received.ReceivedInvoiceRow(
        description=description,
        quantity=parse_amount(quantity.text or "", field="InvoicedQuantity")
        if has_quantity and quantity is not None
        else None,
        unit=quantity.get("QuantityUnitCode") if has_quantity and quantity is not None else None,
        unit_price=amount_at(row, "UnitPriceAmount"),
        unit_price_including_vat=amount_at(row, "UnitPriceVatIncludedAmount"),
        vat_percent=amount_at(row, "RowVatRatePercent"),
        amount=amount_at(row, "RowVatExcludedAmount"),
        vat_amount=amount_at(row, "RowVatAmount"),
        amount_including_vat=amount_at(row, "RowAmount"),
    )


def _attachments(root: etree._Element) -> list[received.AttachmentReference]:
    references = [
        received.AttachmentReference(kind=received.AttachmentKind.ATTACHMENT_MESSAGE, name=identifier)
        for identifier in texts_at(root, "AttachmentMessageDetails/AttachmentMessageIdentifier")
    ]
    names = texts_at(root, "InvoiceUrlNameText")
    urls = texts_at(root, "InvoiceUrlText")
    for index, url in enumerate(urls):
        name = names[index] if index < len(names) else url
        references.append(received.AttachmentReference(kind=received.AttachmentKind.LINK, name=name, url=url))
    return references


def _routing(root: etree._Element, frame: etree._Element | None) -> received.Routing | None:
    details = root.find("MessageTransmissionDetails")
    in_document = received.Routing(
        sender_address=text_at(details, "MessageSenderDetails/FromIdentifier"),
        sender_operator=text_at(details, "MessageSenderDetails/FromIntermediator"),
        receiver_address=text_at(details, "MessageReceiverDetails/ToIdentifier"),
        receiver_operator=text_at(details, "MessageReceiverDetails/ToIntermediator"),
        message_id=text_at(details, "MessageDetails/MessageIdentifier"),
        timestamp=text_at(details, "MessageDetails/MessageTimeStamp"),
    )
    in_frame = _frame_routing(frame) if frame is not None else received.Routing()
    fields = received.Routing.model_fields
    merged = received.Routing(
        **{field: getattr(in_document, field) or getattr(in_frame, field) for field in fields}
    )
    return None if merged == received.Routing() else merged


def _frame_routing(frame: etree._Element) -> received.Routing:
    parties: dict[tuple[str, str], str] = {}
    for direction in ("From", "To"):
        for party in frame.iter(f"{{*}}{direction}"):
            role = text_at(party, "{*}Role")
            party_id = text_at(party, "{*}PartyId")
            if role and party_id:
                parties.setdefault((direction, role), party_id)
    return received.Routing(
        sender_address=parties.get(("From", "Sender")),
        sender_operator=parties.get(("From", "Intermediator")),
        receiver_address=parties.get(("To", "Receiver")),
        receiver_operator=parties.get(("To", "Intermediator")),
        message_id=text_at(frame, ".//{*}MessageData/{*}MessageId"),
        timestamp=text_at(frame, ".//{*}MessageData/{*}Timestamp"),
    )
