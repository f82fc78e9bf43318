"""Netvisor's published DTDs (contracts/netvisor/) as checks of the XML the service sends and the sandbox
reads.

Each DTD is published as an internal subset, `<!DOCTYPE root [ … ]>`; the subset is read as an external DTD
and a document is validated with lxml. Netvisor publishes DTDs for its POST resources only; a resource without
one (the internal resources this service assumes, docs/netvisor-sandbox.md) has no published contract.
"""

import functools
import io
from pathlib import Path

from lxml import etree

DTD_DIR = Path(__file__).parent / "netvisor"
# Resource -> its DTD in the published set; every DTD file of the set is named after its resource.
PUBLISHED = {f"{path.stem}.nv": path for path in sorted(DTD_DIR.glob("*.dtd"))}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class NoPublishedDtd(LookupError):
    """Netvisor publishes no DTD for this resource."""


@functools.cache
def dtd_for(resource: str) -> etree.DTD:
    path = PUBLISHED.get(resource.lower())
    if path is None:
        raise NoPublishedDtd(f"Netvisor publishes no DTD for {resource}")
    text = path.read_text(encoding="utf-8")
    subset = text[text.index("[") + 1 : text.rindex("]")]
    return etree.DTD(io.StringIO(subset))


def has_dtd(resource: str) -> bool:
    return resource.lower() in PUBLISHED


def dtd_problems(resource: str, document: bytes | etree._Element) -> list[str]:
    """Each way the document breaks the resource's DTD, as lxml words it (line and message); [] if valid."""
    root = document if isinstance(document, etree._Element) else etree.fromstring(document, _PARSER)
    dtd = dtd_for(resource)
    if dtd.validate(root):
        return []
    errors = dtd.error_log.filter_from_errors()  # type: ignore[attr-defined]  # lxml-stubs lacks it
    return [f"line {error.line}: {error.message}" for error in errors]
