"""purchaseinvoice.nv (import) and purchaseinvoicelist.nv (list), per docs/facts/netvisor.md §4.1, §4.3.

Duplicates are accepted: Netvisor has no idempotency key, and an e-invoice with a number already seen is
imported with a warning to the user (docs/facts/netvisor.md §4.1): the same invoice twice makes two.
Vendor matching (the 8 rules) is not simulated: the invoice keeps the vendor fields it came with.
"""

import base64
import binascii
import json
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from lxml import etree
from sqlmodel import col, select
from starlette.responses import Response

from sandbox.netvisor.auth import AuthenticatedOrganisation
from sandbox.netvisor.envelope import NetvisorFailure, inserted, ok_response
from sandbox.netvisor.state import SandboxStateDep
from sandbox.netvisor.tables import PurchaseInvoiceAttachmentRecord, PurchaseInvoiceRecord
from sandbox.netvisor.xml_input import ansi_date, decimal_value, parse_message, required_text, text

router = APIRouter()

DOCUMENT_TYPES = ("invoiceimage", "otherattachment")
VENDOR_MATCH_TYPES = ("code", "name", "organizationid")


def _comma(value: str) -> str:
    """Answers write decimals with a comma (docs/facts/netvisor.md §1, fastmonkeys fixtures)."""
    return value.replace(".", ",")


def _required_date(parent: etree._Element, tag: str) -> date:
    value = ansi_date(parent, tag)
    if value is None:
        raise NetvisorFailure("INVALID_DATA", f"<{tag}> in <{parent.tag}> must not be empty")
    return value


def _lines(invoice: etree._Element) -> list[dict[str, str | None]]:
    container = invoice.find("purchaseinvoicelines")
    if container is None:
        return []
    lines = []
    for line in container:
        if not isinstance(line.tag, str):
            continue
        if line.tag != "purchaseinvoiceline":
            raise NetvisorFailure("INVALID_DATA", f"Unknown element <{line.tag}> in <purchaseinvoicelines>")
        line_sum = line.find("linesum")
        if line_sum is None or line_sum.get("type") != "brutto":
            raise NetvisorFailure("INVALID_DATA", '<linesum> needs the attribute type="brutto"')
        numbers = {
            tag: decimal_value(required_text(line, tag), tag) for tag in ("deliveredamount", "unitprice")
        }
        numbers.update(
            {tag: decimal_value(required_text(line, tag), tag) for tag in ("vatpercent", "linesum")}
        )
        lines.append(
            {
                "product_code": text(line, "productcode"),
                "product_name": required_text(line, "productname"),
                "quantity": str(numbers["deliveredamount"]),
                "unit_name": text(line, "unitname"),
                "unit_price": str(numbers["unitprice"]),
                "vat_percent": str(numbers["vatpercent"]),
                "line_sum": str(numbers["linesum"]),
                "description": text(line, "description"),
            }
        )
    if not lines:
        raise NetvisorFailure(
            "INVALID_DATA", "<purchaseinvoicelines> needs at least one <purchaseinvoiceline>"
        )
    return lines


def _attachments(invoice: etree._Element, source: str | None) -> list[PurchaseInvoiceAttachmentRecord]:
    container = invoice.find("purchaseinvoiceattachments")
    if container is None:
        return []
    # Attachments only with invoicesource=finvoice, and only PDF (docs/facts/netvisor.md §4.1).
    if source != "finvoice":
        raise NetvisorFailure("INVALID_DATA", "Attachments can be imported only with <invoicesource>finvoice")
    records = []
    for element in container:
        if not isinstance(element.tag, str):
            continue
        if element.tag != "purchaseinvoiceattachment":
            raise NetvisorFailure(
                "INVALID_DATA", f"Unknown element <{element.tag}> in <purchaseinvoiceattachments>"
            )
        filename = required_text(element, "filename")
        data = element.find("documentdata")
        # The DTD puts documenttype on documentdata; the one API attachment is the invoice image
        # (NV-PI-RES-SV).
        document_type = (data.get("documenttype") if data is not None else None) or "invoiceimage"
        if document_type not in DOCUMENT_TYPES:
            raise NetvisorFailure("INVALID_DATA", f"Unknown documenttype {document_type} of {filename}")
        try:
            content = base64.b64decode(required_text(element, "documentdata"), validate=True)
        except binascii.Error:
            raise NetvisorFailure("INVALID_DATA", f"<documentdata> of {filename} is not Base64") from None
        if required_text(element, "mimetype").lower() != "application/pdf" or not content.startswith(b"%PDF"):
            raise NetvisorFailure(
                "INVALID_DATA", f"Attachment {filename} is not a PDF: only PDF can be imported"
            )
        records.append(
            PurchaseInvoiceAttachmentRecord(
                netvisor_key=0,
                filename=filename,
                mime_type="application/pdf",
                description=required_text(element, "attachmentdescription"),
                document_type=document_type,
                content=content,
            )
        )
    if not records:
        raise NetvisorFailure(
            "INVALID_DATA", "<purchaseinvoiceattachments> needs a <purchaseinvoiceattachment>"
        )
    if sum(record.document_type == "invoiceimage" for record in records) > 1:
        raise NetvisorFailure("INVALID_DATA", "Only one invoice image can be imported")
    return records


def read_purchase_invoice(
    invoice: etree._Element, organisation_id: str
) -> tuple[PurchaseInvoiceRecord, list[PurchaseInvoiceAttachmentRecord]]:
    if invoice.find("valuedate") is None:
        # "Currently this is needed in order to import purchase invoices" (NV-PI), though the DTD allows none.
        raise NetvisorFailure("INVALID_DATA", "<purchaseinvoice> is missing the required element <valuedate>")
    if not any(text(invoice, tag) for tag in ("vendorname", "organizationidentifier", "vendorcode")):
        raise NetvisorFailure("INVALID_DATA", "The vendor needs a name, an organisation identifier or a code")
    match_type = text(invoice, "primaryvendormatchtype")
    if match_type is not None and match_type not in VENDOR_MATCH_TYPES:
        raise NetvisorFailure("INVALID_DATA", f"Unknown primaryvendormatchtype {match_type}")
    source = text(invoice, "invoicesource")
    record = PurchaseInvoiceRecord(
        organisation_id=organisation_id,
        invoice_number=required_text(invoice, "invoicenumber"),
        invoice_date=_required_date(invoice, "invoicedate"),
        value_date=_required_date(invoice, "valuedate"),
        due_date=_required_date(invoice, "duedate"),
        delivery_date=ansi_date(invoice, "deliverydate"),
        invoice_source=source,
        vendor_name=text(invoice, "vendorname"),
        vendor_business_id=text(invoice, "organizationidentifier"),
        vendor_address_line=text(invoice, "vendoraddressline"),
        vendor_post_number=text(invoice, "vendorpostnumber"),
        vendor_city=text(invoice, "vendorcity"),
        vendor_country=text(invoice, "vendorcountry"),
        amount=str(decimal_value(required_text(invoice, "amount"), "amount")),
        currency_code=text(invoice, "currencycode"),
        account_number=text(invoice, "accountnumber"),
        bank_reference_number=text(invoice, "bankreferencenumber"),
        our_reference=text(invoice, "ourreference"),
        your_reference=text(invoice, "yourreference"),
        comment=text(invoice, "comment"),
        lines_json=json.dumps(_lines(invoice)),
        imported_at=datetime.now(UTC),
    )
    return record, _attachments(invoice, source)


@router.post("/purchaseinvoice.nv")
async def import_purchase_invoice(
    request: Request,
    organisation_id: AuthenticatedOrganisation,
    state: SandboxStateDep,
) -> Response:
    message = parse_message(await request.body(), request.headers.get("content-type"), "purchaseinvoice")
    record, attachments = read_purchase_invoice(message, organisation_id)
    with state.session() as session:
        session.add(record)
        session.flush()
        assert record.netvisor_key is not None
        for attachment in attachments:
            attachment.netvisor_key = record.netvisor_key
            session.add(attachment)
        session.commit()
    return ok_response(inserted(record.netvisor_key))


def _query_date(request: Request, name: str) -> date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NetvisorFailure(
            "INVALID_DATA", f"Parameter {name} is not an ANSI date (YYYY-MM-DD): {value}"
        ) from None


def _list_item(record: PurchaseInvoiceRecord, base_url: str) -> etree._Element:
    item = etree.Element("PurchaseInvoice")
    etree.SubElement(item, "NetvisorKey").text = str(record.netvisor_key)
    etree.SubElement(item, "InvoiceNumber").text = record.invoice_number
    etree.SubElement(item, "InvoiceDate", format="ansi").text = record.invoice_date.isoformat()
    etree.SubElement(item, "Vendor").text = record.vendor_name or ""
    etree.SubElement(item, "VendorOrganizationIdentifier").text = record.vendor_business_id or ""
    etree.SubElement(item, "Sum").text = _comma(record.amount)
    etree.SubElement(item, "Payments").text = "0,00"
    etree.SubElement(item, "OpenSum").text = _comma(record.amount)
    etree.SubElement(item, "Uri").text = f"{base_url}/getpurchaseinvoice.nv?netvisorkey={record.netvisor_key}"
    return item


@router.get("/purchaseinvoicelist.nv")
async def list_purchase_invoices(
    request: Request,
    organisation_id: AuthenticatedOrganisation,
    state: SandboxStateDep,
) -> Response:
    query = select(PurchaseInvoiceRecord).where(PurchaseInvoiceRecord.organisation_id == organisation_id)
    begin, end = _query_date(request, "begininvoicedate"), _query_date(request, "endinvoicedate")
    if begin is not None:
        query = query.where(PurchaseInvoiceRecord.invoice_date >= begin)
    if end is not None:
        query = query.where(PurchaseInvoiceRecord.invoice_date <= end)
    number = request.query_params.get("invoicenumber")
    if number:
        query = query.where(PurchaseInvoiceRecord.invoice_number == number)
    delay = state.config.finvoice_visibility_delay_s
    visible_before = datetime.now(UTC) - timedelta(seconds=delay)
    with state.session() as session:
        records = session.exec(query.order_by(col(PurchaseInvoiceRecord.netvisor_key))).all()
    records = [
        record
        for record in records
        if not delay
        or record.invoice_source != "finvoice"
        or record.imported_at.replace(tzinfo=UTC) <= visible_before
    ]
    container = etree.Element("PurchaseInvoiceList")
    base_url = f"{request.url.scheme}://{request.headers.get('host', '')}"
    for record in records:
        container.append(_list_item(record, base_url))
    return ok_response(container)
