"""`parse_invoice`: any received e-invoice document to a `ReceivedInvoice`, or a human reason why not."""

from lxml import etree

from domain.finvoice.decoding import decode_document, split_frame
from domain.finvoice.errors import UnparsableInvoice
from domain.finvoice.finvoice_reader import read_finvoice
from domain.finvoice.received_invoice import ReceivedInvoice
from domain.finvoice.teapps_reader import read_teapps
from domain.finvoice.ubl_reader import UBL_NAMESPACES, read_ubl
from domain.xml_safety import MAX_DOCUMENT_BYTES, XmlRejected, parse_xml

UTF8_GROWTH = 3
"""Decoded text re-encoded as UTF-8 grows at most threefold (one byte of ISO-8859-15 to € in UTF-8)."""


def parse_invoice(document: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> ReceivedInvoice:
    """Reads Finvoice 1.3 to 3.0 (with or without SOAP frame), Peppol BIS 3 / UBL and TEAPPS documents in
    UTF-8, ISO-8859-15, ISO-8859-1 or Windows-1252.

    Raises `UnparsableInvoice` with a reason a support agent can act on.
    """
    if len(document) > max_bytes:
        raise UnparsableInvoice(f"document is {len(document)} bytes, over the limit of {max_bytes} bytes")
    if not document.strip():
        raise UnparsableInvoice("document is empty")
    framed = split_frame(decode_document(document))
    frame = _parse(framed.frame, max_bytes, part="SOAP frame") if framed.frame is not None else None
    root = _invoice_root(_parse(framed.payload, max_bytes, part="document"))
    name = etree.QName(root)
    if name.localname == "Finvoice":
        return read_finvoice(root, frame)
    if name.namespace in UBL_NAMESPACES:
        return read_ubl(root)
    if name.localname == "INVOICE_CENTER":
        return read_teapps(root)
    raise UnparsableInvoice(
        f"unknown document type <{name.localname}>: expected Finvoice, UBL (Peppol BIS 3) or TEAPPS"
    )


def _parse(text: str, max_bytes: int, *, part: str) -> etree._Element:
    try:
        return parse_xml(text.encode("utf-8"), max_bytes=max_bytes * UTF8_GROWTH)
    except XmlRejected as exc:
        raise UnparsableInvoice(f"{part}: {exc}") from exc


def _invoice_root(root: etree._Element) -> etree._Element:
    """The Finvoice inside a SOAP body, when the frame wraps the invoice instead of preceding it."""
    if etree.QName(root).localname != "Envelope":
        return root
    for element in root.iter("{*}Finvoice", "Finvoice"):
        return element
    raise UnparsableInvoice("the SOAP frame carries no Finvoice invoice")
