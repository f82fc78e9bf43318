"""The sandbox's public resources over real HTTP: MAC generations, the envelope, element order, faults."""

import asyncio
import base64
import re

import httpx
from lxml import etree

from tests.sandbox.netvisor.serving import CUSTOMER_KEY, PARTNER_KEY
from tests.sandbox.netvisor.signing import PDF, purchase_invoice_xml, signed_headers


def _status(response: httpx.Response) -> list[str]:
    return [
        status.text or "" for status in etree.fromstring(response.content).findall("ResponseStatus/Status")
    ]


async def _post_invoice(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str, body: bytes, **signing: object
) -> httpx.Response:
    url = f"{sandbox_url}/purchaseinvoice.nv"
    headers = signed_headers(url, organisation, **signing)  # type: ignore[arg-type]
    return await http.post(
        url, content=body, headers={**headers, b"Content-Type": b"text/xml; charset=utf-8"}
    )


async def test_every_mac_generation_is_accepted(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str
) -> None:
    url = f"{sandbox_url}/purchaseinvoicelist.nv?begininvoicedate=2024-01-01&endinvoicedate=2024-12-31"
    for algorithm in ("HMACSHA256", "SHA256", None):
        response = await http.get(url, headers=signed_headers(url, organisation, algorithm=algorithm))
        assert _status(response) == ["OK"], (algorithm, response.text)


async def test_answers_have_netvisors_form(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str
) -> None:
    response = await _post_invoice(http, sandbox_url, organisation, purchase_invoice_xml("A-1"))

    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n')
    assert b"\r\n" in response.content and b"\n" not in response.content.replace(b"\r\n", b"")
    root = etree.fromstring(response.content)
    assert re.fullmatch(
        r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}:\d{2}", root.findtext("ResponseStatus/TimeStamp") or ""
    )
    assert (root.findtext("Replies/InsertedDataIdentifier") or "").isdigit()


async def test_wrong_mac_echoes_the_string_to_sign_without_keys(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str
) -> None:
    body = purchase_invoice_xml("A-2")
    plain = await _post_invoice(http, sandbox_url, organisation, body, customer_key="not-the-key")
    with_codes = await _post_invoice(
        http, sandbox_url, organisation, body, customer_key="not-the-key", use_http_status=True
    )

    assert plain.status_code == 200 and with_codes.status_code == 401
    failed, detail = _status(plain)
    assert failed == "FAILED"
    assert detail.startswith("AUTHENTICATION_FAILED :: ")
    assert f"{sandbox_url}/purchaseinvoice.nv&sandbox tests&" in detail
    assert "YOUR_CUSTOMER_KEY_HERE" in detail
    assert CUSTOMER_KEY not in plain.text and PARTNER_KEY not in plain.text
    listing = await http.get(f"/_sandbox/companies/{organisation}/purchase-invoices")
    assert listing.json() == []


async def test_reused_transaction_id_is_not_unique(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str
) -> None:
    first = await _post_invoice(
        http, sandbox_url, organisation, purchase_invoice_xml("A-3"), transaction_id="TX-1"
    )
    again = await _post_invoice(
        http, sandbox_url, organisation, purchase_invoice_xml("A-4"), transaction_id="TX-1"
    )

    assert _status(first) == ["OK"]
    assert _status(again)[1].startswith("REQUEST_NOT_UNIQUE :: ")


async def test_a_message_off_the_published_dtd_is_invalid_data(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str
) -> None:
    swapped = (
        '<invoicenumber>A-5</invoicenumber><invoicedate format="ansi">2024-05-02</invoicedate>'
        '<duedate format="ansi">2024-05-30</duedate><valuedate format="ansi">2024-05-02</valuedate>'
    )
    no_value_date = (
        '<invoicenumber>A-5</invoicenumber><invoicedate format="ansi">2024-05-02</invoicedate>'
        '<duedate format="ansi">2024-05-30</duedate>'
    )
    out_of_order = await _post_invoice(
        http, sandbox_url, organisation, purchase_invoice_xml("A-5", head=swapped), use_http_status=True
    )
    missing = await _post_invoice(
        http, sandbox_url, organisation, purchase_invoice_xml("A-5", head=no_value_date)
    )

    assert out_of_order.status_code == 400
    assert _status(out_of_order)[1].startswith(
        "INVALID_DATA :: The message does not follow purchaseinvoice.dtd: "
        "line 1: Element purchaseinvoice content does not follow the DTD, expecting (invoicenumber , "
    )
    assert "got (invoicenumber invoicedate duedate valuedate" in _status(out_of_order)[1]
    assert (
        _status(missing)[1] == "INVALID_DATA :: <purchaseinvoice> is missing the required element <valuedate>"
    )


async def test_attachments_must_be_pdf_from_finvoice(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str
) -> None:
    def attachment(content: bytes) -> str:
        data = base64.b64encode(content).decode()
        return (
            "<purchaseinvoiceattachments><purchaseinvoiceattachment><mimetype>application/pdf</mimetype>"
            "<attachmentdescription>Kuva</attachmentdescription><filename>lasku.pdf</filename>"
            f'<documentdata documenttype="invoiceimage">{data}</documentdata>'
            "</purchaseinvoiceattachment></purchaseinvoiceattachments>"
        )

    not_pdf = await _post_invoice(
        http, sandbox_url, organisation, purchase_invoice_xml("A-6", files=attachment(b"GIF89a"))
    )
    pdf = await _post_invoice(
        http, sandbox_url, organisation, purchase_invoice_xml("A-7", files=attachment(PDF))
    )

    assert _status(not_pdf)[1].startswith("INVALID_DATA :: Attachment lasku.pdf is not a PDF")
    assert _status(pdf) == ["OK"]
    invoices = (await http.get(f"/_sandbox/companies/{organisation}/purchase-invoices")).json()
    assert [(i["invoice_number"], [a["filename"] for a in i["attachments"]]) for i in invoices] == [
        ("A-7", ["lasku.pdf"])
    ]


async def test_list_answers_with_decimal_commas_and_filters(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str
) -> None:
    await _post_invoice(http, sandbox_url, organisation, purchase_invoice_xml("L-1"))
    url = f"{sandbox_url}/purchaseinvoicelist.nv?begininvoicedate=2024-05-01&endinvoicedate=2024-05-31"
    inside = await http.get(url, headers=signed_headers(url, organisation))
    later = url.replace("2024-05-01", "2024-06-01").replace("2024-05-31", "2024-06-30")
    outside = await http.get(later, headers=signed_headers(later, organisation))

    items = etree.fromstring(inside.content).findall("PurchaseInvoiceList/PurchaseInvoice")
    assert [
        (i.findtext("InvoiceNumber"), i.findtext("Sum"), i.findtext("VendorOrganizationIdentifier"))
        for i in items
    ] == [("L-1", "124,00", "1967543-8")]
    assert etree.fromstring(outside.content).findall("PurchaseInvoiceList/PurchaseInvoice") == []


async def test_dropped_answer_closes_the_connection_after_committing(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str
) -> None:
    await http.put("/_sandbox/faults", json={"drop_response_rate": 1.0})
    try:
        dropped: BaseException | None = None
        try:
            await _post_invoice(http, sandbox_url, organisation, purchase_invoice_xml("D-1"))
        except httpx.TransportError as exc:
            dropped = exc
        controls = await http.get(f"/_sandbox/companies/{organisation}/purchase-invoices")
    finally:
        await http.delete("/_sandbox/faults")

    assert isinstance(dropped, httpx.RemoteProtocolError)
    assert controls.status_code == 200
    assert [invoice["invoice_number"] for invoice in controls.json()] == ["D-1"]


async def test_error_faults_spare_the_controls(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str
) -> None:
    await http.put("/_sandbox/faults", json={"error_rate": 1.0, "status": 502})
    try:
        failed = await _post_invoice(http, sandbox_url, organisation, purchase_invoice_xml("F-1"))
        controls = await http.get(f"/_sandbox/companies/{organisation}/purchase-invoices")
    finally:
        await http.delete("/_sandbox/faults")

    assert failed.status_code == 502
    assert controls.status_code == 200 and controls.json() == []


async def test_overlapping_requests_for_one_organisation_fail(
    http: httpx.AsyncClient, sandbox_url: str, organisation: str, other_organisation: str
) -> None:
    await http.put("/_sandbox/faults", json={"latency_ms": 300})
    try:
        answers = await asyncio.gather(
            _post_invoice(http, sandbox_url, organisation, purchase_invoice_xml("O-1")),
            _post_invoice(http, sandbox_url, organisation, purchase_invoice_xml("O-2")),
            _post_invoice(http, sandbox_url, other_organisation, purchase_invoice_xml("O-3")),
        )
    finally:
        await http.delete("/_sandbox/faults")

    same_organisation = sorted(_status(answer)[-1].split(" :: ")[0] for answer in answers[:2])
    assert same_organisation == ["OK", "TECHNICAL_ERROR"]
    assert _status(answers[2]) == ["OK"]
