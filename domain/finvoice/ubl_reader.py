"""Reading a UBL 2.1 Invoice or CreditNote, as Peppol BIS Billing 3.0 delivers it."""

from decimal import Decimal

from lxml import etree

from domain.finvoice import received_invoice as received
from domain.finvoice.credit_notes import money_reversed
from domain.finvoice.errors import UnparsableInvoice
from domain.finvoice.values import parse_date
from domain.finvoice.xml_reading import (
    amount_at,
    compact,
    joined,
    required_text,
    single_line,
    text_at,
    texts_at,
)

INVOICE_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NAMESPACE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
UBL_NAMESPACES = frozenset({INVOICE_NAMESPACE, CREDIT_NOTE_NAMESPACE})
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CREDIT_NOTE_TYPE_CODES = frozenset({"381", "396", "532"})
DOCUMENT = "the UBL document"


def _path(path: str) -> str:
    """`cac:`/`cbc:` prefixes expanded, so the shared readers can use plain ElementPath."""
    return path.replace("cac:", f"{{{CAC}}}").replace("cbc:", f"{{{CBC}}}")


def _text(element: etree._Element | None, path: str) -> str | None:
    return text_at(element, _path(path))


def _amount(element: etree._Element | None, path: str) -> Decimal | None:
    return amount_at(element, _path(path))


def read_ubl(root: etree._Element) -> received.ReceivedInvoice:
    """The invoice in a UBL Invoice or CreditNote root element."""
    is_credit_note_root = etree.QName(root).localname == "CreditNote"
    customization = _text(root, "cbc:CustomizationID") or ""
    currency = _text(root, "cbc:DocumentCurrencyCode") or "EUR"
    type_code = _text(root, "cbc:InvoiceTypeCode") or _text(root, "cbc:CreditNoteTypeCode")
    due_date = _text(root, "cbc:DueDate") or _text(root, "cac:PaymentMeans/cbc:PaymentDueDate")
    supplier = root.find(_path("cac:AccountingSupplierParty/cac:Party"))
    customer = root.find(_path("cac:AccountingCustomerParty/cac:Party"))
    payment = _payment_means(root)
    line_path, quantity_path = (
        ("cac:CreditNoteLine", "cbc:CreditedQuantity")
        if is_credit_note_root
        else ("cac:InvoiceLine", "cbc:InvoicedQuantity")
    )
    credit_note = is_credit_note_root or type_code in CREDIT_NOTE_TYPE_CODES
    peppol = "peppol" in customization
    invoice = received.ReceivedInvoice(
        format=received.DocumentFormat.PEPPOL_BIS if peppol else received.DocumentFormat.UBL,
        version=_version(customization, _text(root, "cbc:UBLVersionID")),
        credit_note=credit_note,
        number=required_text(root, _path("cbc:ID"), document=DOCUMENT),
        invoice_date=parse_date(
            required_text(root, _path("cbc:IssueDate"), document=DOCUMENT), field="IssueDate"
        ),
        due_date=parse_date(due_date, field="DueDate") if due_date else None,
        seller=received.ReceivedSeller(
            name=_party_name(supplier),
            business_id=_text(supplier, "cac:PartyLegalEntity/cbc:CompanyID"),
            vat_number=_vat_number(supplier),
            address=_address(supplier),
            einvoice_address=_endpoint(supplier),
        ),
        buyer=received.ReceivedBuyer(
            name=_party_name(customer), business_id=_text(customer, "cac:PartyLegalEntity/cbc:CompanyID")
        ),
        total_including_vat=_total_including_vat(root),
        vat_amount=_vat_total(root, currency),
        total_excluding_vat=_amount(root, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"),
        prepaid_amount=_amount(root, "cac:LegalMonetaryTotal/cbc:PrepaidAmount"),
        rounding_amount=_amount(root, "cac:LegalMonetaryTotal/cbc:PayableRoundingAmount"),
        amount_to_pay=_amount(root, "cac:LegalMonetaryTotal/cbc:PayableAmount"),
        allowances_charges=[
            _allowance_charge(element) for element in root.findall(_path("cac:AllowanceCharge"))
        ],
        vat_breakdown=_vat_breakdown(root, currency),
        currency=currency,
        payment_reference=_text(payment, "cbc:PaymentID"),
        seller_iban=compact(_text(payment, "cac:PayeeFinancialAccount/cbc:ID")),
        seller_bic=compact(_text(payment, "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID")),
        rows=[_row(line, quantity_path) for line in root.findall(_path(line_path))],
        attachments=_attachments(root),
        free_text=joined(texts_at(root, _path("cbc:Note")), "\n"),
        routing=received.Routing(sender_address=_endpoint(supplier), receiver_address=_endpoint(customer)),
    )
    if credit_note:
        return money_reversed(invoice)
    return invoice.model_copy(update={"credit_note": invoice.total_including_vat < 0})


def _version(customization: str, ubl_version: str | None) -> str:
    if "billing:3.0" in customization:
        return "3.0"
    return customization or ubl_version or "unknown"


def _total_including_vat(root: etree._Element) -> Decimal:
    for path in ("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", "cac:LegalMonetaryTotal/cbc:PayableAmount"):
        amount = _amount(root, path)
        if amount is not None:
            return amount
    raise UnparsableInvoice(f"{DOCUMENT} has no LegalMonetaryTotal/TaxInclusiveAmount")


def _document_tax_total(root: etree._Element, currency: str) -> etree._Element | None:
    """The TaxTotal in the document currency (a second TaxTotal may repeat it in the tax currency)."""
    for tax_total in root.findall(_path("cac:TaxTotal")):
        tax_amount = tax_total.find(_path("cbc:TaxAmount"))
        if tax_amount is not None and tax_amount.get("currencyID") in (None, currency):
            return tax_total
    return None


def _vat_total(root: etree._Element, currency: str) -> Decimal | None:
    return _amount(_document_tax_total(root, currency), "cbc:TaxAmount")


def _vat_breakdown(root: etree._Element, currency: str) -> list[received.VatSubtotal]:
    tax_total = _document_tax_total(root, currency)
    if tax_total is None:
        return []
    return [
        received.VatSubtotal(
            vat_percent=_amount(subtotal, "cac:TaxCategory/cbc:Percent"),
            category=_text(subtotal, "cac:TaxCategory/cbc:ID"),
            taxable_amount=_amount(subtotal, "cbc:TaxableAmount"),
            vat_amount=_amount(subtotal, "cbc:TaxAmount") or Decimal(0),
        )
        for subtotal in tax_total.findall(_path("cac:TaxSubtotal"))
    ]


def _allowance_charge(element: etree._Element) -> received.AllowanceCharge:
    is_charge = (_text(element, "cbc:ChargeIndicator") or "").lower() == "true"
    amount = _amount(element, "cbc:Amount") or Decimal(0)
    return received.AllowanceCharge(
        reason=_text(element, "cbc:AllowanceChargeReason") or _text(element, "cbc:AllowanceChargeReasonCode"),
        amount=amount if is_charge else -amount,
        vat_percent=_amount(element, "cac:TaxCategory/cbc:Percent"),
    )


def _payment_means(root: etree._Element) -> etree._Element | None:
    """The first payment means that names an account, else the first one."""
    means = root.findall(_path("cac:PaymentMeans"))
    with_account = [
        element for element in means if element.find(_path("cac:PayeeFinancialAccount")) is not None
    ]
    return next(iter(with_account or means), None)


def _party_name(party: etree._Element | None) -> str | None:
    return single_line(
        _text(party, "cac:PartyLegalEntity/cbc:RegistrationName") or _text(party, "cac:PartyName/cbc:Name")
    )


def _vat_number(party: etree._Element | None) -> str | None:
    """The company id registered under the VAT scheme (a party may also list a national tax number)."""
    if party is None:
        return None
    for scheme in party.findall(_path("cac:PartyTaxScheme")):
        if (_text(scheme, "cac:TaxScheme/cbc:ID") or "").upper() == "VAT":
            return _text(scheme, "cbc:CompanyID")
    return None


def _endpoint(party: etree._Element | None) -> str | None:
    """The Peppol address as `scheme:id`, e.g. `0216:003712345678`."""
    endpoint = party.find(_path("cbc:EndpointID")) if party is not None else None
    if endpoint is None or not (endpoint.text or "").strip():
        return None
    value = (endpoint.text or "").strip()
    scheme = endpoint.get("schemeID")
    return f"{scheme}:{value}" if scheme else value


def _address(party: etree._Element | None) -> received.PostalAddress | None:
    postal = party.find(_path("cac:PostalAddress")) if party is not None else None
    if postal is None:
        return None
    return received.PostalAddress(
        street=joined(
            [
                part
                for part in (_text(postal, "cbc:StreetName"), _text(postal, "cbc:AdditionalStreetName"))
                if part
            ]
        ),
        post_code=_text(postal, "cbc:PostalZone"),
        town=_text(postal, "cbc:CityName"),
        country_code=_text(postal, "cac:Country/cbc:IdentificationCode"),
    )


def _row(line: etree._Element, quantity_path: str) -> received.ReceivedInvoiceRow:
    quantity = line.find(_path(quantity_path))
    price = _amount(line, "cac:Price/cbc:PriceAmount")
    base_quantity = _amount(line, "cac:Price/cbc:BaseQuantity")
    if price is not None and base_quantity:
        price = price / base_quantity
    return received.ReceivedInvoiceRow(
        description=_text(line, "cac:Item/cbc:Name") or _text(line, "cac:Item/cbc:Description"),
        quantity=_amount(line, quantity_path),
        unit=quantity.get("unitCode") if quantity is not None else None,
        unit_price=price,
        vat_percent=_amount(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
        amount=_amount(line, "cbc:LineExtensionAmount"),
    )


def _attachments(root: etree._Element) -> list[received.AttachmentReference]:
    references = []
    for reference in root.findall(_path("cac:AdditionalDocumentReference")):
        identifier = _text(reference, "cbc:ID") or "attachment"
        embedded = reference.find(_path("cac:Attachment/cbc:EmbeddedDocumentBinaryObject"))
        url = _text(reference, "cac:Attachment/cac:ExternalReference/cbc:URI")
        if embedded is not None:
            name = embedded.get("filename") or identifier
            references.append(received.AttachmentReference(kind=received.AttachmentKind.EMBEDDED, name=name))
        elif url is not None:
            link = received.AttachmentReference(kind=received.AttachmentKind.LINK, name=identifier, url=url)
            references.append(link)
    return references
