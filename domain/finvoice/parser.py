"""`parse_invoice`: any received e-invoice document to a `ReceivedInvoice`, or a human reason why not.

Every stage is linear in the document's size (no regular expression with nested quantifiers runs over
its text, the XML parser has no entity expansion and libxml2's depth limit), the size is capped before
anything is read, and a deadline is checked between the stages, so no document holds a worker for long.
Callers on an event loop run it in a thread (`activities.document_reading`).
"""

import time

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
MAX_PARSE_SECONDS = 10.0
"""Reading a 20 MB document takes well under a second; ten times that means the machine is starved, and
the document is refused rather than holding the worker (the quarantine reason says so)."""


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._ends = time.monotonic() + seconds

    def check(self, stage: str) -> None:
        if time.monotonic() > self._ends:
            raise UnparsableInvoice(
                f"reading the document took longer than {self._seconds:g} s (stopped after {stage}); "
                "release it from quarantine to try again when the service is less busy"
            )


def parse_invoice(
    document: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES, max_seconds: float = MAX_PARSE_SECONDS
) -> ReceivedInvoice:
    """Reads Finvoice 1.2 to 3.0 (with or without SOAP frame), Peppol BIS 3 / UBL and TEAPPS documents in
    UTF-8, UTF-16, ISO-8859-15, ISO-8859-1 or Windows-1252.

    Raises `UnparsableInvoice` with a reason a support agent can act on, and nothing else.
    """
    if len(document) > max_bytes:
        raise UnparsableInvoice(f"document is {len(document)} bytes, over the limit of {max_bytes} bytes")
    if not document.strip():
        raise UnparsableInvoice("document is empty")
    deadline = _Deadline(max_seconds)
    framed = split_frame(decode_document(document))
    deadline.check("decoding")
    frame = _parse(framed.frame, max_bytes, part="SOAP frame") if framed.frame is not None else None
    root = _invoice_root(_parse(framed.payload, max_bytes, part="document"))
    deadline.check("parsing the XML")
    name = etree.QName(root)
    if name.localname == "Finvoice":
        invoice = read_finvoice(root, frame)
    elif name.namespace in UBL_NAMESPACES:
        invoice = read_ubl(root)
    elif name.localname == "INVOICE_CENTER":
        invoice = read_teapps(root)
    else:
        raise UnparsableInvoice(
            f"unknown document type <{name.localname}>: expected Finvoice, UBL (Peppol BIS 3) or TEAPPS"
        )
    deadline.check("reading the invoice")
    return invoice


def _parse(text: str, max_bytes: int, *, part: str) -> etree._Element:
    try:
        return parse_xml(text.encode("utf-8", errors="surrogatepass"), max_bytes=max_bytes * UTF8_GROWTH)
    except XmlRejected as exc:
        raise UnparsableInvoice(f"{part}: {exc}") from exc


def _invoice_root(root: etree._Element) -> etree._Element:
    """The Finvoice inside a SOAP body, when the frame wraps the invoice instead of preceding it."""
    if etree.QName(root).localname != "Envelope":
        return root
    for element in root.iter("{*}Finvoice", "Finvoice"):
        return element
    raise UnparsableInvoice("the SOAP frame carries no Finvoice invoice")
