"""The one place where untrusted XML is parsed.

Received invoices come from anyone on the e-invoice networks, so the parser never fetches anything, never
expands entities, refuses any document type declaration (the carrier of XXE and entity bombs) and refuses
documents above a size limit before reading them.
"""

from lxml import etree

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
"""Default size limit: Maventa allows 10 MB per file, so anything twice that is not an invoice."""


class XmlRejected(ValueError):
    """The document is not well-formed XML, or is XML this service refuses to read; the message says why."""


def _hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_xml(document: bytes, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> etree._Element:
    """The root element of an untrusted UTF-8 (or self-declaring) XML document."""
    if len(document) > max_bytes:
        raise XmlRejected(f"document is {len(document)} bytes, over the limit of {max_bytes} bytes")
    if b"<!DOCTYPE" in document or b"<!ENTITY" in document:
        raise XmlRejected("document contains a DOCTYPE or ENTITY declaration, which is not accepted")
    try:
        root = etree.fromstring(document, parser=_hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(f"not well-formed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRejected("document contains a DOCTYPE declaration, which is not accepted")
    return root
