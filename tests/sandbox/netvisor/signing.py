"""A hand-written signer for raw requests, kept apart from the client so the sandbox is tested on its own."""

import hashlib
import hmac
import uuid

from tests.clock import wall_clock
from tests.sandbox.netvisor.serving import CUSTOMER_ID, CUSTOMER_KEY, PARTNER_ID, PARTNER_KEY

SENDER = "sandbox tests"


def signed_headers(
    url: str,
    organisation: str,
    *,
    algorithm: str | None = "HMACSHA256",
    transaction_id: str | None = None,
    customer_key: str = CUSTOMER_KEY,
    use_http_status: bool = False,
) -> dict[bytes, bytes]:
    """Headers per docs/facts/netvisor.md §2.2-2.3; `algorithm=None` is the legacy MD5 client."""
    timestamp = "2024-05-06 07:08:09.123"
    unix = str(int(wall_clock().timestamp()))
    transaction_id = transaction_id or uuid.uuid4().hex
    base = [url, SENDER, CUSTOMER_ID, timestamp, "EN", organisation, transaction_id]
    if algorithm == "HMACSHA256":
        message = "&".join([*base, unix, customer_key, PARTNER_KEY]).encode("latin-1")
        mac = hmac.new(f"{customer_key}&{PARTNER_KEY}".encode("latin-1"), message, hashlib.sha256).hexdigest()
    elif algorithm == "SHA256":
        mac = hashlib.sha256("&".join([*base, customer_key, PARTNER_KEY]).encode()).hexdigest()
    else:
        mac = hashlib.md5("&".join([*base, customer_key, PARTNER_KEY]).encode()).hexdigest()
    headers = {
        "X-Netvisor-Authentication-Sender": SENDER,
        "X-Netvisor-Authentication-CustomerId": CUSTOMER_ID,
        "X-Netvisor-Authentication-PartnerId": PARTNER_ID,
        "X-Netvisor-Authentication-Timestamp": timestamp,
        "X-Netvisor-Authentication-TimestampUnix": unix,
        "X-Netvisor-Authentication-TransactionId": transaction_id,
        "X-Netvisor-Interface-Language": "EN",
        "X-Netvisor-Organisation-ID": organisation,
        "X-Netvisor-Authentication-MAC": mac,
    }
    if algorithm is not None:
        headers["X-Netvisor-Authentication-MACHashCalculationAlgorithm"] = algorithm
    if use_http_status:
        headers["X-Netvisor-Authentication-UseHTTPResponseStatusCodes"] = "1"
    return {name.encode(): value.encode("latin-1") for name, value in headers.items()}


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def purchase_invoice_xml(number: str, *, head: str | None = None, files: str = "") -> bytes:
    """A minimal valid purchaseinvoice.nv message; `head` replaces the first elements to break their order."""
    head = head or (
        '<invoicenumber>{n}</invoicenumber><invoicedate format="ansi">2024-05-02</invoicedate>'
        '{source}<valuedate format="ansi">2024-05-02</valuedate><duedate format="ansi">2024-05-30</duedate>'
    ).format(n=number, source="<invoicesource>finvoice</invoicesource>" if files else "")
    return (
        f"<root><purchaseinvoice>{head}<vendorname>Toimittaja Oy</vendorname><amount>124,00</amount>"
        "<organizationidentifier>1967543-8</organizationidentifier>"
        "<purchaseinvoicelines><purchaseinvoiceline><productname>Työ</productname>"
        "<deliveredamount>1</deliveredamount><unitprice>100,00</unitprice><vatpercent>24</vatpercent>"
        '<linesum type="brutto">124,00</linesum></purchaseinvoiceline></purchaseinvoicelines>'
        f"{files}</purchaseinvoice></root>"
    ).encode()
