"""Netvisor's answer envelope: <Root><ResponseStatus> with OK, or FAILED and "CATEGORY :: message".

Facts (docs/facts/netvisor.md §3): an XML declaration with standalone="yes", CRLF line endings,
PascalCase elements, the TimeStamp in Finnish local time `d.M.yyyy H:mm:ss` without zero padding, a second
<Status> of the form `CATEGORY :: message` on failure.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from lxml import etree
from starlette.responses import Response

HELSINKI = ZoneInfo("Europe/Helsinki")
USE_HTTP_STATUS_HEADER = "X-Netvisor-Authentication-UseHTTPResponseStatusCodes"
_DECLARATION = b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n'
_MEDIA_TYPE = "text/xml; charset=utf-8"

# ASSUMPTION: which HTTP status each category gets when the client asks for status codes
# (docs/facts/netvisor.md §2.2).
_HTTP_STATUS = {
    "AUTHENTICATION_FAILED": 401,
    "SERVICE_ACCESS_ERROR": 403,
    "DUPLICATE_DATA": 409,
    "TECHNICAL_ERROR": 500,
    "SYSTEM_MAINTANANCE": 503,
}


class NetvisorFailure(Exception):
    """A FAILED answer; `code` is one of Netvisor's categories (docs/facts/netvisor.md §3 error catalogue)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} :: {message}")
        self.code = code
        self.message = message


def finnish_timestamp(moment: datetime) -> str:
    local = moment.astimezone(HELSINKI)
    return f"{local.day}.{local.month}.{local.year} {local.hour}:{local.minute:02d}:{local.second:02d}"


def _render(root: etree._Element) -> bytes:
    body = etree.tostring(root, encoding="utf-8", xml_declaration=False, pretty_print=True)
    return _DECLARATION + body.replace(b"\n", b"\r\n")


def _root(statuses: list[str]) -> etree._Element:
    root = etree.Element("Root")
    status = etree.SubElement(root, "ResponseStatus")
    for text in statuses:
        etree.SubElement(status, "Status").text = text
    etree.SubElement(status, "TimeStamp").text = finnish_timestamp(datetime.now(UTC))
    return root


def ok_response(*content: etree._Element) -> Response:
    root = _root(["OK"])
    for element in content:
        root.append(element)
    return Response(_render(root), status_code=200, media_type=_MEDIA_TYPE)


def inserted(key: int) -> etree._Element:
    replies = etree.Element("Replies")
    etree.SubElement(replies, "InsertedDataIdentifier").text = str(key)
    return replies


def failed_response(failure: NetvisorFailure, *, use_http_status: bool) -> Response:
    body = _render(_root(["FAILED", f"{failure.code} :: {failure.message}"]))
    status = _HTTP_STATUS.get(failure.code, 400) if use_http_status else 200
    return Response(body, status_code=status, media_type=_MEDIA_TYPE)


def wants_http_status(headers: dict[str, str]) -> bool:
    return headers.get(USE_HTTP_STATUS_HEADER.lower(), "").strip() == "1"
