"""Small readers over parsed XML that treat missing and blank elements alike."""

from decimal import Decimal

from lxml import etree

from domain.finvoice.errors import UnparsableInvoice
from domain.finvoice.values import parse_amount


def text_at(element: etree._Element | None, path: str) -> str | None:
    """The stripped text of the first element at `path`, or None when it is absent or blank."""
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def texts_at(element: etree._Element | None, path: str) -> list[str]:
    """The stripped, non-blank texts of every element at `path`, in document order."""
    if element is None:
        return []
    return [found.text.strip() for found in element.findall(path) if found.text and found.text.strip()]


def joined(parts: list[str], separator: str = " ") -> str | None:
    """Repeated elements (name lines, free-text lines) as one value, or None when there are none."""
    return separator.join(parts) or None


def single_line(value: str | None) -> str | None:
    """A name as one line: a document that wraps a long name keeps its words, not its line break (and the
    indentation after it); a name written on one line is kept exactly as written."""
    if value is None or not ("\n" in value or "\r" in value):
        return value
    return " ".join(part.strip() for part in value.splitlines() if part.strip()) or None


def required_text(element: etree._Element | None, path: str, *, document: str) -> str:
    """The text at `path`, or an `UnparsableInvoice` naming the missing element."""
    value = text_at(element, path)
    if value is None:
        raise UnparsableInvoice(f"{document} has no {path.split('/')[-1].removeprefix('{*}')}")
    return value


def amount_at(element: etree._Element | None, path: str) -> Decimal | None:
    """The amount at `path`, or None when it is absent or blank."""
    value = text_at(element, path)
    return parse_amount(value, field=path.split("/")[-1].removeprefix("{*}")) if value else None


def compact(value: str | None) -> str | None:
    """An account number or BIC without the spaces printed for reading (`FI21 1234 5600 0007 85`)."""
    if value is None:
        return None
    return "".join(value.split()) or None
