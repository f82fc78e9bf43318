"""Reading the XML a caller posts: any declared or Content-Type charset, ISO-8859-15 when UTF-8 fails.

Facts (docs/facts/netvisor.md §1 Encoding): Netvisor documents ISO-8859-15 for ä/ö/å and no declaration,
starting with <root>; clients in practice send UTF-8 with `text/xml; charset=utf-8`.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from contracts.netvisor_dtd import dtd_problems, has_dtd
from sandbox.netvisor.envelope import NetvisorFailure

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return None


def parse_message(body: bytes, content_type: str | None, resource: str) -> etree._Element:
    """The one <resource> element under <root>."""
    try:
        if body.lstrip().startswith(b"<?xml"):
            root = etree.fromstring(body, _PARSER)
        else:
            charset = _charset(content_type) or "utf-8"
            try:
                text = body.decode(charset)
            except (UnicodeDecodeError, LookupError):
                text = body.decode("iso-8859-15")
            root = etree.fromstring(text, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise NetvisorFailure("INVALID_DATA", f"The message is not well-formed XML: {exc}") from None
    if root is None or root.tag != "root":
        raise NetvisorFailure("INVALID_DATA", "The message must start with <root>")
    children = [child for child in root if isinstance(child.tag, str)]
    if len(children) != 1 or children[0].tag != resource:
        raise NetvisorFailure("INVALID_DATA", f"<root> must hold exactly one <{resource}>")
    check_dtd(f"{resource}.nv", root)
    return children[0]


def check_dtd(resource: str, root: etree._Element) -> None:
    """A resource with a published DTD (contracts/netvisor/) takes only documents valid against it; the
    answer names lxml's first finding. ASSUMPTION: Netvisor's own wording for an invalid document is not
    public, its category INVALID_DATA is (docs/facts/netvisor.md §3)."""
    if not has_dtd(resource):
        return
    problems = dtd_problems(resource, root)
    if problems:
        dtd = resource.removesuffix(".nv") + ".dtd"
        raise NetvisorFailure("INVALID_DATA", f"The message does not follow {dtd}: {problems[0]}")


def text(parent: etree._Element, tag: str) -> str | None:
    element = parent.find(tag)
    if element is None or element.text is None or not element.text.strip():
        return None
    return element.text.strip()


def required_text(parent: etree._Element, tag: str) -> str:
    value = text(parent, tag)
    if value is None:
        raise NetvisorFailure("INVALID_DATA", f"<{tag}> in <{parent.tag}> must not be empty")
    return value


def decimal_value(value: str, tag: str) -> Decimal:
    """Either decimal separator is read ([I]: Netvisor writes commas, docs/facts/netvisor.md §1)."""
    try:
        number = Decimal(value.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise NetvisorFailure("INVALID_DATA", f"<{tag}> is not a number: {value}") from None
    if not number.is_finite():
        raise NetvisorFailure("INVALID_DATA", f"<{tag}> is not a number: {value}")
    return number


def ansi_date(parent: etree._Element, tag: str) -> date | None:
    """Dates are ANSI YYYY-MM-DD with format="ansi" (docs/facts/netvisor.md §1 Dates)."""
    element = parent.find(tag)
    value = text(parent, tag)
    if element is None or value is None:
        return None
    if element.get("format", "").lower() != "ansi":
        raise NetvisorFailure("INVALID_DATA", f'<{tag}> needs the attribute format="ansi"')
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NetvisorFailure("INVALID_DATA", f"<{tag}> is not an ANSI date (YYYY-MM-DD): {value}") from None
