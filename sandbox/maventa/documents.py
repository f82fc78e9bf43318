"""What the sandbox reads out of a document it is given: format, number, sums, dates, parties.

Given documents are stored byte for byte; this reading only fills the invoice's JSON fields. Finvoice may come
behind a SOAP frame that is a separate XML document in the same file (docs/facts/einvoicing.md §1.4).
"""

import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_ENCODING = re.compile(rb"""<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")
_UBL = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_FINVOICE_FORMATS = {"1.3": "FINVOICE13", "2.0": "FINVOICE20", "2.01": "FINVOICE201", "3.0": "FINVOICE30"}


class UnreadableDocument(ValueError):
    pass


@dataclass
class DocumentFacts:
    source_format: str
    number: str | None = None
    reference: str | None = None
    date: str | None = None
    date_due: str | None = None
    sum: Decimal | None = None
    sum_tax: Decimal | None = None
    currency: str = "EUR"
    sender_business_id: str | None = None
    sender_name: str | None = None
    sender_eia: str | None = None
    recipient_business_id: str | None = None
    recipient_name: str | None = None


@dataclass
class Upload:
    """An invoice upload: the XML, and from a ZIP also the PDF image and the other attachments."""

    document: bytes
    document_filename: str
    image: bytes | None = None
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text.strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None


def _iso_date(text: str | None) -> str | None:
    if text and len(text.strip()) == 8 and text.strip().isdigit():
        value = text.strip()
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return text.strip() if text else None


def _finvoice_root(data: bytes) -> etree._Element | None:
    start = data.find(b"<Finvoice")
    if start < 0:
        return None
    declaration = data.rfind(b"<?xml ", 0, start)
    if declaration >= 0 and b"Envelope" not in data[declaration:start]:
        return etree.fromstring(data[declaration:], _PARSER)
    encoding = _ENCODING.match(data, declaration) if declaration >= 0 else None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, encoding=encoding.group(1).decode() if encoding else None
    )
    return etree.fromstring(data[start:], parser)


def read_document(data: bytes) -> DocumentFacts:
    try:
        finvoice = _finvoice_root(data)
        if finvoice is not None:
            return _read_finvoice(finvoice)
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnreadableDocument(f"not well-formed XML: {exc}") from exc
    if root.tag == f"{{{_UBL}}}Invoice":
        return _read_ubl(root)
    if root.tag == "INVOICE_CENTER":
        return DocumentFacts(source_format="TEAPPS30")
    raise UnreadableDocument(f"unknown invoice format with root element {etree.QName(root).localname}")


def _read_finvoice(root: etree._Element) -> DocumentFacts:
    def text(path: str) -> str | None:
        value = root.findtext(path)
        return value.strip() if value and value.strip() else None

    return DocumentFacts(
        source_format=_FINVOICE_FORMATS.get(root.get("Version", ""), "FINVOICE30"),
        number=text("InvoiceDetails/InvoiceNumber"),
        reference=text("EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier"),
        date=_iso_date(text("InvoiceDetails/InvoiceDate")),
        date_due=_iso_date(
            text("InvoiceDetails/PaymentTermsDetails/InvoiceDueDate")
            or text("EpiDetails/EpiPaymentInstructionDetails/EpiDateOptionDate")
        ),
        sum=_decimal(text("InvoiceDetails/InvoiceTotalVatExcludedAmount")),
        sum_tax=_decimal(text("InvoiceDetails/InvoiceTotalVatIncludedAmount")),
        sender_business_id=text("SellerPartyDetails/SellerPartyIdentifier"),
        sender_name=text("SellerPartyDetails/SellerOrganisationName"),
        sender_eia=text("SellerOrganisationUnitNumber")
        or text("MessageTransmissionDetails/MessageSenderDetails/FromIdentifier"),
        recipient_business_id=text("BuyerPartyDetails/BuyerPartyIdentifier"),
        recipient_name=text("BuyerPartyDetails/BuyerOrganisationName"),
    )


def _read_ubl(root: etree._Element) -> DocumentFacts:
    ns = {"cbc": _CBC, "cac": _CAC}

    def text(path: str) -> str | None:
        found = root.find(path, ns)
        return found.text.strip() if found is not None and found.text else None

    supplier = "cac:AccountingSupplierParty/cac:Party"
    customer = "cac:AccountingCustomerParty/cac:Party"
    return DocumentFacts(
        source_format="PEPPOLBIS30",
        number=text("cbc:ID"),
        reference=text("cac:PaymentMeans/cbc:PaymentID"),
        date=text("cbc:IssueDate"),
        date_due=text("cbc:DueDate"),
        sum=_decimal(text("cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount")),
        sum_tax=_decimal(text("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")),
        currency=text("cbc:DocumentCurrencyCode") or "EUR",
        sender_business_id=text(f"{supplier}/cac:PartyLegalEntity/cbc:CompanyID"),
        sender_name=text(f"{supplier}/cac:PartyName/cbc:Name")
        or text(f"{supplier}/cac:PartyLegalEntity/cbc:RegistrationName"),
        sender_eia=text(f"{supplier}/cbc:EndpointID"),
        recipient_business_id=text(f"{customer}/cac:PartyLegalEntity/cbc:CompanyID"),
        recipient_name=text(f"{customer}/cac:PartyName/cbc:Name"),
    )


def unpack_upload(content: bytes, filename: str) -> Upload:
    """A ZIP holds the invoice XML, optionally its PDF image and attachments (docs/facts/maventa.md §2.4)."""
    if not zipfile.is_zipfile(io.BytesIO(content)):
        return Upload(document=content, document_filename=filename)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
        xml_names = [n for n in names if n.lower().endswith(".xml")]
        if not xml_names:
            raise UnreadableDocument("the ZIP holds no invoice XML")
        xml_name = xml_names[0]
        image_name = next(
            (n for n in names if n.lower() == xml_name.lower()[:-4] + ".pdf"),
            next((n for n in names if n.lower().endswith(".pdf") and n.lower().startswith("invoice")), None),
        )
        return Upload(
            document=archive.read(xml_name),
            document_filename=xml_name,
            image=archive.read(image_name) if image_name else None,
            attachments=[(n, archive.read(n)) for n in names if n not in (xml_name, image_name)],
        )
