"""Netvisor's XML both ways: requests in the resource's element order, answers into typed values.

Request XML is lower-case and starts with <root> without a declaration; answers are PascalCase under <Root>
with <ResponseStatus> first and decimal commas (docs/facts/netvisor.md §1, §3).
"""

import base64
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from clients.netvisor_models import (
    PurchaseInvoiceImport,
    PurchaseInvoiceLine,
    PurchaseInvoiceSummary,
    ServiceBillingLine,
)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def netvisor_decimal(value: Decimal) -> str:
    """Netvisor writes decimals with a comma (docs/facts/netvisor.md §1); the sandbox reads either one."""
    return format(value, "f").replace(".", ",")


def parse_netvisor_decimal(text: str | None) -> Decimal:
    cleaned = (text or "").strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        return Decimal(0)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not a Netvisor decimal: {text!r}") from exc


def _add(parent: etree._Element, tag: str, text: str | None, **attributes: str) -> None:
    if text is None or text == "":
        return
    element = etree.SubElement(parent, tag, attributes)
    element.text = text


def _ansi(value: date) -> str:
    return value.isoformat()


def _document(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="utf-8", xml_declaration=False)


def _maventa_comment(invoice: PurchaseInvoiceImport) -> str:
    marker = f"Maventa invoice id: {invoice.maventa_invoice_id}"
    return f"{marker}\n{invoice.comment}" if invoice.comment else marker


def _purchase_invoice_line(parent: etree._Element, line: PurchaseInvoiceLine) -> None:
    element = etree.SubElement(parent, "purchaseinvoiceline")
    _add(element, "productcode", line.product_code)
    _add(element, "productname", line.product_name)
    _add(element, "deliveredamount", netvisor_decimal(line.quantity))
    _add(element, "unitname", line.unit_name)
    _add(element, "unitprice", netvisor_decimal(line.unit_price))
    _add(element, "vatpercent", netvisor_decimal(line.vat_percent))
    _add(element, "linesum", netvisor_decimal(line.line_sum), type="brutto")
    _add(element, "description", line.description)


def _attachment(
    parent: etree._Element, *, filename: str, mime_type: str, description: str, kind: str, content: bytes
) -> None:
    element = etree.SubElement(parent, "purchaseinvoiceattachment")
    _add(element, "mimetype", mime_type)
    _add(element, "attachmentdescription", description)
    _add(element, "filename", filename)
    _add(element, "documentdata", base64.b64encode(content).decode("ascii"), documenttype=kind)


def purchase_invoice_xml(invoice: PurchaseInvoiceImport) -> bytes:
    """purchaseinvoice.nv in the DTD's order (docs/facts/netvisor.md §4.1, contracts/netvisor/)."""
    root = etree.Element("root")
    element = etree.SubElement(root, "purchaseinvoice")
    has_files = invoice.image_pdf is not None or bool(invoice.attachments)
    vendor = invoice.vendor
    _add(element, "invoicenumber", invoice.invoice_number)
    _add(element, "invoicedate", _ansi(invoice.invoice_date), format="ansi")
    # Files are imported only with invoicesource=finvoice (docs/facts/netvisor.md §4.1).
    _add(element, "invoicesource", "finvoice" if has_files else None)
    _add(element, "valuedate", _ansi(invoice.value_date or invoice.invoice_date), format="ansi")
    _add(element, "duedate", _ansi(invoice.due_date), format="ansi")
    _add(element, "vendorname", vendor.name)
    _add(element, "vendoraddressline", vendor.address_line)
    _add(element, "vendorpostnumber", vendor.post_number)
    _add(element, "vendorcity", vendor.city)
    _add(element, "vendorcountry", vendor.country)
    _add(element, "amount", netvisor_decimal(invoice.amount))
    _add(element, "accountnumber", invoice.bank_account)
    _add(element, "organizationidentifier", vendor.business_id)
    if invoice.delivery_date is not None:
        _add(element, "deliverydate", _ansi(invoice.delivery_date), format="ansi")
    _add(element, "bankreferencenumber", invoice.reference)
    _add(element, "ourreference", invoice.our_reference)
    _add(element, "yourreference", invoice.your_reference)
    _add(element, "currencycode", invoice.currency)
    _add(element, "comment", _maventa_comment(invoice))
    _add(element, "primaryvendormatchtype", "organizationid" if vendor.business_id else "name")
    if invoice.lines:
        lines = etree.SubElement(element, "purchaseinvoicelines")
        for line in invoice.lines:
            _purchase_invoice_line(lines, line)
    if has_files:
        files = etree.SubElement(element, "purchaseinvoiceattachments")
        if invoice.image_pdf is not None:
            _attachment(
                files,
                filename=invoice.image_filename,
                mime_type="application/pdf",
                description="Invoice image",
                kind="invoiceimage",
                content=invoice.image_pdf,
            )
        for attachment in invoice.attachments:
            _attachment(
                files,
                filename=attachment.filename,
                mime_type=attachment.mime_type,
                description=attachment.description or attachment.filename,
                kind="otherattachment",
                content=attachment.content,
            )
    return _document(root)


def invoicing_address_xml(einvoice_address: str, operator: str) -> bytes:
    root = etree.Element("root")
    element = etree.SubElement(root, "invoicingaddress")
    _add(element, "einvoiceaddress", einvoice_address)
    _add(element, "operator", operator)
    return _document(root)


def sales_invoice_status_xml(invoice_key: str, status: str, detail: str | None) -> bytes:
    root = etree.Element("root")
    element = etree.SubElement(root, "salesinvoicedeliverystatus")
    _add(element, "invoicekey", invoice_key)
    _add(element, "status", status)
    _add(element, "detail", detail)
    return _document(root)


def service_billing_xml(month: str, lines: list[ServiceBillingLine]) -> bytes:
    root = etree.Element("root")
    element = etree.SubElement(root, "servicebilling")
    _add(element, "month", month)
    container = etree.SubElement(element, "servicebillinglines")
    for line in lines:
        item = etree.SubElement(container, "servicebillingline")
        _add(item, "productcode", line.product_code)
        _add(item, "description", line.description)
        _add(item, "quantity", str(line.quantity))
        _add(item, "unitprice", netvisor_decimal(line.unit_price))
    return _document(root)


@dataclass(frozen=True)
class NetvisorAnswer:
    """A parsed <Root>: OK with its content, or FAILED with the category and Netvisor's text unchanged."""

    ok: bool
    code: str | None
    message: str
    root: etree._Element


def parse_answer(body: bytes) -> NetvisorAnswer:
    """Raises ValueError when the body is not Netvisor's envelope (e.g. a proxy's error page)."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ValueError("answer is not XML") from exc
    if root is None or not isinstance(root.tag, str) or root.tag.lower() != "root":
        raise ValueError("answer has no <Root>")
    statuses = [(element.text or "").strip() for element in root.findall("ResponseStatus/Status")]
    if not statuses:
        raise ValueError("answer has no <ResponseStatus>")
    if statuses[0].upper() == "OK":
        return NetvisorAnswer(ok=True, code=None, message="", root=root)
    # The second Status reads "CATEGORY :: message[ :: detail]" (docs/facts/netvisor.md §3).
    detail = statuses[1] if len(statuses) > 1 else ""
    code, separator, message = detail.partition(" :: ")
    if not separator:
        return NetvisorAnswer(ok=False, code=None, message=detail or statuses[0], root=root)
    return NetvisorAnswer(ok=False, code=code.strip(), message=message.strip(), root=root)


def inserted_key(root: etree._Element) -> int:
    text = root.findtext("Replies/InsertedDataIdentifier")
    if text is None or not text.strip().isdigit():
        raise ValueError("answer has no InsertedDataIdentifier")
    return int(text.strip())


def _text(element: etree._Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def parse_purchase_invoice_list(root: etree._Element) -> list[PurchaseInvoiceSummary]:
    """Lenient: any field may be empty or carry attributes (docs/facts/netvisor.md §9)."""
    return [
        PurchaseInvoiceSummary(
            netvisor_key=int(_text(item, "NetvisorKey")),
            invoice_number=_text(item, "InvoiceNumber"),
            invoice_date=date.fromisoformat(_text(item, "InvoiceDate")),
            vendor_name=_text(item, "Vendor"),
            vendor_business_id=_text(item, "VendorOrganizationIdentifier") or None,
            sum=parse_netvisor_decimal(item.findtext("Sum")),
            payments=parse_netvisor_decimal(item.findtext("Payments")),
            open_sum=parse_netvisor_decimal(item.findtext("OpenSum")),
        )
        for item in root.findall("PurchaseInvoiceList/PurchaseInvoice")
    ]
