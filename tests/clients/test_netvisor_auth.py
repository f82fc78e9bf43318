"""The MAC against a vector computed by hand from the published recipe (docs/facts/netvisor.md §2.3).

Expected digest made outside Python from the same message and key:
  printf "%s" "$msg" | iconv -f utf-8 -t latin1
    | openssl dgst -sha256 -mac HMAC -macopt hexkey:<latin-1 bytes of "$key" in hex>
"""

import hashlib
import hmac
from datetime import UTC, datetime

import httpx
from pydantic import SecretStr

from clients.netvisor_auth import NetvisorAuth
from sandbox.netvisor.mac import SignedRequest, expected_mac

URL = (
    "https://isvapi.netvisor.fi/purchaseinvoicelist.nv?begininvoicedate=2024-01-01&endinvoicedate=2024-01-31"
)
CUSTOMER_KEY = "customer-key-ä"
PARTNER_KEY = "partner-key"
# url&sender&customerId&timestamp&language&organisationId&transactionId&timestampUnix&customerKey&partnerKey
MESSAGE = (
    f"{URL}&Maventa connection&Integraatiokäyttäjä&2024-05-06 07:08:09.123&FI&1967543-8&TRANSID1714979289123"
    f"&1714979289&{CUSTOMER_KEY}&{PARTNER_KEY}"
)
EXPECTED_MAC = "58c063d0b55c24d8d98599a7d10f504880b7e22bdce599b1ad64aa9b216be8e9"


def _signed_request() -> httpx.Request:
    auth = NetvisorAuth(
        sender="Maventa connection",
        partner_id="PARTNER-1",
        partner_key=SecretStr(PARTNER_KEY),
        customer_id="Integraatiokäyttäjä",
        customer_key=SecretStr(CUSTOMER_KEY),
        language="FI",
        transaction_ids=lambda: "TRANSID1714979289123",
        clock=lambda: datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
    )
    request = httpx.Request("GET", URL, headers={"X-Netvisor-Organisation-ID": "1967543-8"})
    return next(auth.auth_flow(request))


def test_client_mac_matches_the_hand_computed_vector() -> None:
    headers = _signed_request().headers

    assert headers["X-Netvisor-Authentication-MAC"] == EXPECTED_MAC
    assert headers["X-Netvisor-Authentication-MACHashCalculationAlgorithm"] == "HMACSHA256"
    assert headers["X-Netvisor-Authentication-Timestamp"] == "2024-05-06 07:08:09.123"
    assert headers["X-Netvisor-Authentication-TimestampUnix"] == "1714979289"
    assert headers["X-Netvisor-Authentication-TransactionId"] == "TRANSID1714979289123"
    assert headers["X-Netvisor-Authentication-PartnerId"] == "PARTNER-1"
    assert headers["X-Netvisor-Authentication-CustomerId"] == "Integraatiokäyttäjä"
    assert headers["X-Netvisor-Authentication-UseHTTPResponseStatusCodes"] == "1"


def test_keys_are_never_sent() -> None:
    raw = b"".join(name + b": " + value for name, value in _signed_request().headers.raw)

    assert CUSTOMER_KEY.encode("latin-1") not in raw and PARTNER_KEY.encode() not in raw


def test_sandbox_expects_the_same_vector() -> None:
    signed = SignedRequest(
        algorithm="HMACSHA256",
        url=URL,
        sender="Maventa connection",
        customer_id="Integraatiokäyttäjä",
        timestamp="2024-05-06 07:08:09.123",
        language="FI",
        organisation_id="1967543-8",
        transaction_id="TRANSID1714979289123",
        timestamp_unix="1714979289",
    )

    assert expected_mac(signed, CUSTOMER_KEY, PARTNER_KEY) == EXPECTED_MAC


def test_vector_is_the_recipe_in_latin1() -> None:
    key = f"{CUSTOMER_KEY}&{PARTNER_KEY}".encode("latin-1")

    assert hmac.new(key, MESSAGE.encode("latin-1"), hashlib.sha256).hexdigest() == EXPECTED_MAC


def test_the_mac_covers_the_query_as_text_while_the_wire_carries_it_escaped() -> None:
    """Netvisor reads the URL's escapes back before the MAC (docs/facts/netvisor.md §2.3), as the public
    clients sign it."""
    auth = NetvisorAuth(
        sender="Maventa connection",
        partner_id="PARTNER-1",
        partner_key=SecretStr(PARTNER_KEY),
        customer_id="Integraatiokäyttäjä",
        customer_key=SecretStr(CUSTOMER_KEY),
        language="FI",
        transaction_ids=lambda: "TRANSID1714979289123",
        clock=lambda: datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
    )
    url = "https://isvapi.netvisor.fi/purchaseinvoicelist.nv?invoicenumber=Lasku%201%2F%C3%A4%2B2"
    request = next(
        auth.auth_flow(httpx.Request("GET", url, headers={"X-Netvisor-Organisation-ID": "1967543-8"}))
    )
    message = (
        "https://isvapi.netvisor.fi/purchaseinvoicelist.nv?invoicenumber=Lasku 1/ä+2&Maventa connection"
        f"&Integraatiokäyttäjä&2024-05-06 07:08:09.123&FI&1967543-8&TRANSID1714979289123&1714979289"
        f"&{CUSTOMER_KEY}&{PARTNER_KEY}"
    )
    key = f"{CUSTOMER_KEY}&{PARTNER_KEY}".encode("latin-1")

    assert request.url.raw_path.endswith(b"invoicenumber=Lasku%201%2F%C3%A4%2B2")
    expected = hmac.new(key, message.encode("latin-1"), hashlib.sha256).hexdigest()
    assert request.headers["X-Netvisor-Authentication-MAC"] == expected
