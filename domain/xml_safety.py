"""The one place where untrusted XML is parsed.

Received invoices come from anyone on the e-invoice networks, so the parser never fetches anything, never
expands entities and refuses documents above a size limit before reading them. A document type declaration
with only an external identifier (`<!DOCTYPE Finvoice SYSTEM "Finvoice.dtd">`, as many Finvoice files
carry) is harmless when nothing is fetched, and is accepted; an internal subset, the carrier of entity
bombs and external entities, is refused.
"""

from lxml import etree

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
"""Default size limit: Maventa allows 10 MB per file, so anything twice that is not an invoice."""

_DECLARATIONS = (b"<!ENTITY", b"<!ATTLIST", b"<!ELEMENT", b"<!NOTATION")
_INTERNAL_SUBSET = (
    "document declares entities or elements in its DOCTYPE (an internal subset), which is refused"
)


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
    if any(declaration in document for declaration in _DECLARATIONS):
        raise XmlRejected(_INTERNAL_SUBSET)
    try:
        root = etree.fromstring(document, parser=_hardened_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(f"not well-formed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    subset: etree.DTD | None = docinfo.internalDTD
    if subset is not None and (any(True for _ in subset.iterentities()) or any(subset.iterelements())):  # type: ignore[attr-defined]
        raise XmlRejected(_INTERNAL_SUBSET)
    return root
