"""From the bytes an operator delivers to XML text: character sets and the bank-network SOAP frame.

Finvoice travels in ISO-8859-15, ISO-8859-1, Windows-1252 or UTF-8, and a bank-network file is two XML
documents back to back (the SOAP/ebXML frame, then the Finvoice), each possibly with its own declaration.
Each part is decoded by the declaration that precedes it. Bytes 0x80-0x9F are control characters in the
ISO-8859 sets and never meaningful in an invoice; they are read as Windows-1252 (the euro sign, typographic
quotes and dashes), which is what a file declared ISO-8859-1 but written on Windows actually means.
"""

import codecs
import re
from typing import NamedTuple

from domain.finvoice.errors import UnparsableInvoice

_DECLARATION = re.compile(rb"<\?xml\s[^>]*?\?>")
_DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DECLARATION_TEXT = re.compile(r"<\?xml\s[^>]*?\?>")
_ENVELOPE_START = re.compile(r"\A\s*(?:(?:<\?.*?\?>|<!--.*?-->)\s*)*<(?:[\w.-]+:)?Envelope[\s>/]", re.DOTALL)
_ENVELOPE_END = re.compile(r"</(?:[\w.-]+:)?Envelope\s*>")

_ISO_8859_CODECS = frozenset({"iso8859-1", "iso8859-15", "ascii", "cp1252"})


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
    return data.decode(base).translate(_C1_TABLE)


def _decode(data: bytes, encoding: str) -> str:
    try:
        codec = codecs.lookup(encoding).name
    except LookupError as exc:
        raise UnparsableInvoice(f"the document declares an unknown character set {encoding!r}") from exc
    if codec in _ISO_8859_CODECS:
        return _decode_single_byte(data, codec)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if codec == "utf-8":
            return _decode_single_byte(data, "cp1252")
        raise UnparsableInvoice(f"the document is not valid {encoding}: {exc.reason}") from exc


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


def split_frame(text: str) -> FramedDocument:
    """Separates a SOAP/ebXML frame prepended to the invoice; declarations are dropped (the text is
    already decoded)."""
    text = _DECLARATION_TEXT.sub("", text)
    if _ENVELOPE_START.match(text):
        end = _ENVELOPE_END.search(text)
        if end is not None and text[end.end() :].strip():
            return FramedDocument(frame=text[: end.end()], payload=text[end.end() :])
    return FramedDocument(frame=None, payload=text)
