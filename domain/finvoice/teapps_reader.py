"""Reading a TEAPPSXML invoice (the second domestic format): INVOICE_CENTER with one INVOICE.

Amounts carry their sign in a `SIGN` attribute and VAT inclusion in a `VAT` attribute; dates are split into
DAY, MONTH, CENTURY and DECADE_AND_YEAR. A credit note is recognised by its negative total (inferred: the
sample has no credit note). The seller is the PAYEE party and the buyer the RECEIVER party, which every
TEAPPS invoice carries; INVOICE_SENDER and INVOICE_RECIPIENT are optional parties (a service bureau, an
invoice handler) and only stand in when the main party is absent.
"""

from datetime import date
from decimal import Decimal

from lxml import etree

from domain.finvoice import received_invoice as received
from domain.finvoice.errors import UnparsableInvoice
from domain.finvoice.values import parse_amount
from domain.finvoice.xml_reading import amount_at, compact, joined, required_text, text_at, texts_at

DOCUMENT = "the TEAPPS document"


def read_teapps(root: etree._Element) -> received.ReceivedInvoice:
    """The single invoice in a TEAPPS INVOICE_CENTER."""
    invoices = root.findall("CONTENT_FRAME/INVOICES/INVOICE")
    if len(invoices) != 1:
        raise UnparsableInvoice(f"{DOCUMENT} holds {len(invoices)} invoices; exactly one is expected")
    invoice = invoices[0]
    header = invoice.find("HEADER")
    summary = invoice.find("SUMMARY")
    payee = invoice.find("PAYEE")
    seller_info = _party(invoice, "PAYEE", "INVOICE_SENDER")
    buyer_info = _party(invoice, "RECEIVER", "INVOICE_RECIPIENT")
    total = _signed(summary, "INVOICE_TOTAL/AMOUNT", vat="INCLUDED")
    if total is None:
        raise UnparsableInvoice(f"{DOCUMENT} has no SUMMARY/INVOICE_TOTAL amount including VAT")
    invoice_date = _date(header, "INVOICE_DATE")
    if invoice_date is None:
        raise UnparsableInvoice(f"{DOCUMENT} has no INVOICE_DATE")
    receiver = invoice.find("RECEIVER")
    return received.ReceivedInvoice(
        format=received.DocumentFormat.TEAPPS,
        version=text_at(root, "CONTENT_FRAME/BLOCK_RULES/FORMAT_VERSION") or "unknown",
        credit_note=total < 0,
        number=required_text(header, "INVOICE_ID", document=DOCUMENT),
        invoice_date=invoice_date,
        due_date=_date(header, "DUE_DATE"),
        seller=received.ReceivedSeller(
            name=joined(texts_at(seller_info, "CUSTOMER_NAME")),
            business_id=text_at(seller_info, "ORGANIZATION_NUMBER"),
            vat_number=text_at(seller_info, "VAT_NUMBER"),
            address=_address(seller_info),
            einvoice_address=text_at(payee, "NET_SERVICE_ID"),
        ),
        buyer=received.ReceivedBuyer(
            name=joined(texts_at(buyer_info, "CUSTOMER_NAME")),
            business_id=text_at(buyer_info, "ORGANIZATION_NUMBER"),
        ),
        total_including_vat=total,
        vat_amount=_signed(summary, "VAT_TOTAL/AMOUNT"),
        total_excluding_vat=_signed(summary, "INVOICE_TOTAL/AMOUNT", vat="EXCLUDED"),
        rounding_amount=_rounding(summary),
        allowances_charges=_allowances_charges(summary),
        vat_breakdown=[_vat_subtotal(element) for element in _all(summary, "VAT_SUMMARY")],
        currency=text_at(header, "CURRENCY/CODE") or "EUR",
        payment_reference=text_at(payee, "DETAILS_OF_PAYMENT/FI_PAYMENT_REFERENCE")
        or text_at(payee, "DETAILS_OF_PAYMENT/RF_PAYMENT_REFERENCE"),
        seller_iban=compact(text_at(payee, "BANKS/IBAN_ACCOUNT_NUMBER")),
        seller_bic=compact(text_at(payee, "BANKS/SWIFT_CODE")),
        rows=[_row(row) for row in invoice.findall("ROWS/ROW")],
        attachments=[
            received.AttachmentReference(kind=received.AttachmentKind.IMAGE, name=name)
            for name in texts_at(invoice, "CONTROL/IMAGE_CONTROL/IMAGE_FILE")
        ],
        free_text=joined(texts_at(header, "FREE_TEXT"), "\n"),
        routing=received.Routing(
            sender_address=text_at(payee, "NET_SERVICE_ID"),
            sender_operator=text_at(payee, "INTERMEDIATOR"),
            receiver_address=text_at(receiver, "NET_SERVICE_ID"),
            receiver_operator=text_at(receiver, "INTERMEDIATOR"),
            message_id=text_at(root, "TRANSPORT_FRAME/BATCH_ID"),
            timestamp=text_at(root, "TRANSPORT_FRAME/TIMESTAMP"),
        ),
    )


def _party(invoice: etree._Element, main: str, stand_in: str) -> etree._Element | None:
    found = invoice.find(f"{main}/CUSTOMER_INFORMATION")
    return found if found is not None else invoice.find(f"{stand_in}/CUSTOMER_INFORMATION")


def _all(element: etree._Element | None, path: str) -> list[etree._Element]:
    return element.findall(path) if element is not None else []


def _rounding(summary: etree._Element | None) -> Decimal | None:
    value = amount_at(summary, "ROUNDINGS")
    return value if value else None


def _allowances_charges(summary: etree._Element | None) -> list[received.AllowanceCharge]:
    """SUMMARY/DISCOUNT (a reduction, written with a positive amount) and SUMMARY/CHARGES, VAT excluded."""
    found = []
    for path, name, amount_path, sign in (
        ("DISCOUNT", "DISCOUNT_NAME", "DISCOUNT_AMOUNT/AMOUNT", -1),
        ("CHARGES", "CHARGE_NAME", "CHARGE_AMOUNT/AMOUNT", 1),
    ):
        for element in _all(summary, path):
            amount = _signed(element, amount_path, vat="EXCLUDED") or _signed(element, amount_path)
            if amount is None:
                continue
            found.append(
                received.AllowanceCharge(
                    reason=text_at(element, name),
                    amount=sign * amount,
                    vat_percent=amount_at(element, "VAT/RATE"),
                )
            )
    return found


def _vat_subtotal(element: etree._Element) -> received.VatSubtotal:
    return received.VatSubtotal(
        vat_percent=amount_at(element, "RATE"),
        category=text_at(element, "VAT_TYPE"),
        taxable_amount=_signed(element, "ACCORDING/AMOUNT"),
        vat_amount=_signed(element, "VAT_RATE_TOTAL/AMOUNT") or Decimal(0),
    )


def _signed(element: etree._Element | None, path: str, *, vat: str | None = None) -> Decimal | None:
    """The first AMOUNT at `path` (with the given VAT attribute, "" for none, if asked), its SIGN applied."""
    if element is None:
        return None
    for amount in element.findall(path):
        if vat is not None and (amount.get("VAT") or "") != vat:
            continue
        if not (amount.text or "").strip():
            continue
        value = parse_amount(amount.text or "", field=path)
        return -value if amount.get("SIGN") == "-" else value
    return None


def _date(header: etree._Element | None, path: str) -> date | None:
    parts = header.find(f"{path}/DATE") if header is not None else None
    if parts is None:
        return None
    fields = [text_at(parts, name) for name in ("CENTURY", "DECADE_AND_YEAR", "MONTH", "DAY")]
    if not all(fields) or not all(field.isascii() and field.isdigit() for field in fields if field):
        raise UnparsableInvoice(f"{DOCUMENT} has an incomplete {path}")
    century, year, month, day = (int(field or "0") for field in fields)
    try:
        return date(century * 100 + year, month, day)
    except ValueError as exc:
        raise UnparsableInvoice(f"{DOCUMENT} has {path} that is not a calendar date") from exc


def _address(info: etree._Element | None) -> received.PostalAddress | None:
    address = info.find("ADDRESS") if info is not None else None
    if address is None:
        return None
    return received.PostalAddress(
        street=joined(texts_at(address, "STREET_ADDRESS1") + texts_at(address, "STREET_ADDRESS2")),
        post_code=text_at(address, "POSTAL_CODE"),
        town=text_at(address, "POST_OFFICE"),
        country_code=text_at(address, "COUNTRY_CODE"),
    )


def _row(row: etree._Element) -> received.ReceivedInvoiceRow:
    charged = row.find("QUANTITY/CHARGED")
    quantity = amount_at(row, "QUANTITY/CHARGED")
    if quantity is not None and charged is not None and charged.get("SIGN") == "-":
        quantity = -quantity
    return received.ReceivedInvoiceRow(
        description=text_at(row, "ARTICLE/ARTICLE_NAME") or joined(texts_at(row, "FREE_TEXT"), "\n"),
        quantity=quantity,
        unit=charged.get("Q_UNIT") if charged is not None else None,
        unit_price=_signed(row, "PRICE_PER_UNIT/AMOUNT", vat="EXCLUDED")
        or _signed(row, "PRICE_PER_UNIT/AMOUNT", vat=""),
        unit_price_including_vat=_signed(row, "PRICE_PER_UNIT/AMOUNT", vat="INCLUDED"),
        vat_percent=amount_at(row, "VAT/RATE"),
        amount=_signed(row, "ROW_TOTAL/AMOUNT", vat="EXCLUDED"),
        vat_amount=_signed(row, "VAT/VAT_AMOUNT/AMOUNT"),
        amount_including_vat=_signed(row, "ROW_TOTAL/AMOUNT", vat="INCLUDED"),
    )
