"""From the bytes an operator delivers to XML text: character sets and the bank-network SOAP frame.

Finvoice travels in ISO-8859-15, ISO-8859-1, Windows-1252 or UTF-8, and a bank-network file is two XML
documents back to back (the SOAP/ebXML frame, then the Finvoice), each possibly with its own declaration.
Each part is decoded by the declaration that precedes it. Bytes 0x80-0x9F are control characters in the
ISO-8859 sets and never meaningful in an invoice; they are read as Windows-1252 (the euro sign, typographic
quotes and dashes), which is what a file declared ISO-8859-1 but written on Windows actually means.

Only character sets that e-invoices are written in are accepted: Python's codec registry also knows
transforms (`rot13`, `zlib`, `base64`) and oddities (`unicode_escape`, `idna`) that are no character set of
a document. The frame's root is found with the XML parser, never with a regular expression over the text.
"""

import codecs
import re
from typing import NamedTuple

from lxml import etree

from domain.finvoice.errors import UnparsableInvoice

_DECLARATION = re.compile(rb"<\?xml\s[^>]{0,400}?\?>")
_DECLARED_ENCODING = re.compile(rb"""encoding\s{0,40}=\s{0,40}["']([A-Za-z0-9._:-]{1,40})["']""")
_C1_BYTE = re.compile(rb"[\x80-\x9f]")
_DECLARATION_TEXT = re.compile(r"<\?xml\s[^>]{0,400}?\?>")

_SINGLE_BYTE_AS_WINDOWS = frozenset({"iso8859-1", "iso8859-15", "ascii", "cp1252"})
CHARACTER_SETS = frozenset(
    {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be", "ascii", "latin-1"}
    | {f"iso8859-{part}" for part in range(1, 17) if part != 12}
    | {f"cp{page}" for page in range(1250, 1259)}
)
"""Python codec names of the character sets a received document may declare."""

_FIRST_CHUNK = 512
"""The root's start tag is usually within the first few hundred bytes; the chunks fed to find it double from
here, so a long prolog still costs linear time and an ordinary document is not parsed twice."""


def _c1_as_windows_1252() -> dict[int, str]:
    table: dict[int, str] = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            table[byte] = chr(byte)
    return table


_C1_TABLE = _c1_as_windows_1252()


class FramedDocument(NamedTuple):
    """The XML text of the transport frame (if any) and of the invoice itself."""

    frame: str | None
    payload: str


def _decode_single_byte(data: bytes, codec: str) -> str:
    base = "iso8859-15" if codec == "iso8859-15" else "latin-1"
    text = data.decode(base)
    return text.translate(_C1_TABLE) if _C1_BYTE.search(data) else text


def _codec(encoding: str) -> str:
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        codec = None
    if codec not in CHARACTER_SETS:
        raise UnparsableInvoice(
            f"the document declares the character set {encoding!r}, which is not one e-invoices are "
            "written in (UTF-8, UTF-16, ISO-8859-1/-15 or Windows-1252): ask the sender to resend it "
            "in one of those"
        )
    return codec


def _decode(data: bytes, encoding: str) -> str:
    codec = _codec(encoding)
    if codec in _SINGLE_BYTE_AS_WINDOWS:
        return _decode_single_byte(data, codec)
    try:
        return data.decode(codec)
    except UnicodeError as exc:
        if codec == "utf-8":
            return _decode_single_byte(data, "cp1252")
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise UnparsableInvoice(f"the document is not valid {encoding}: {reason}") from exc


def decode_document(document: bytes) -> str:
    """The document as text, each part decoded by its own XML declaration (UTF-8 when none)."""
    if document.startswith(codecs.BOM_UTF8):
        document = document[len(codecs.BOM_UTF8) :]
    elif document.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(document, "utf-16")
    declarations = list(_DECLARATION.finditer(document))
    encodings = [_declared_encoding(match.group(0)) for match in declarations]
    first_encoding = next((name for name in encodings if name), "utf-8")
    parts = [_decode(document[: declarations[0].start()] if declarations else document, first_encoding)]
    for index, match in enumerate(declarations):
        end = declarations[index + 1].start() if index + 1 < len(declarations) else len(document)
        parts.append(_decode(document[match.start() : end], encodings[index] or first_encoding))
    return "".join(parts)


def _declared_encoding(declaration: bytes) -> str | None:
    found = _DECLARED_ENCODING.search(declaration)
    return found.group(1).decode("ascii") if found else None


def _first_element(text: bytes) -> etree._Element | None:
    """The root's start tag as the XML parser reads it, fed in chunks until it appears."""
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    start, size = 0, _FIRST_CHUNK
    while start < len(text):
        try:
            parser.feed(text[start : start + size])
        except etree.XMLSyntaxError:
            return _started(parser)
        started = _started(parser)
        if started is not None:
            return started
        start, size = start + size, size * 2
    return None


def _started(parser: etree.XMLPullParser) -> etree._Element | None:
    for _event, element in parser.read_events():
        if isinstance(element, etree._Element):
            return element
    return None


def split_frame(text: str) -> FramedDocument:
    """Separates a SOAP/ebXML frame prepended to the invoice; declarations are dropped (the text is
    already decoded)."""
    text = _DECLARATION_TEXT.sub("", text)
    root = _first_element(text.encode("utf-8"))
    if root is None or etree.QName(root).localname != "Envelope":
        return FramedDocument(frame=None, payload=text)
    closing = f"</{root.prefix}:Envelope" if root.prefix else "</Envelope"
    end_tag = text.find(closing)
    end = text.find(">", end_tag) + 1 if end_tag >= 0 else 0
    if end and text[end:].strip():
        return FramedDocument(frame=text[:end], payload=text[end:])
    return FramedDocument(frame=None, payload=text)
