"""The MAC Netvisor expects, in all three generations, chosen by the MACHashCalculationAlgorithm header.

Recipes (docs/facts/netvisor.md §2.3): the base fields url&sender&customerId&timestamp&language&
organisationId&transactionId, then (HMACSHA256 only) timestampUnix, then customerKey&partnerKey.
MD5 when the header is absent (legacy), SHA256 a plain hash, HMACSHA256 keyed by customerKey&partnerKey in
ISO-8859-1. Kept apart from the client's signer on purpose, so a wrong recipe in one cannot hide in both.
"""

import hashlib
import hmac

from pydantic import BaseModel

ALGORITHMS = ("MD5", "SHA256", "HMACSHA256")
MASKED_CUSTOMER_KEY = "YOUR_CUSTOMER_KEY_HERE"
MASKED_PARTNER_KEY = "YOUR_PARTNER_KEY_HERE"


class SignedRequest(BaseModel):
    algorithm: str
    url: str
    sender: str
    customer_id: str
    timestamp: str
    language: str
    organisation_id: str
    transaction_id: str
    timestamp_unix: str


def _fields(request: SignedRequest, customer_key: str, partner_key: str) -> str:
    fields = [
        request.url,
        request.sender,
        request.customer_id,
        request.timestamp,
        request.language,
        request.organisation_id,
        request.transaction_id,
    ]
    if request.algorithm == "HMACSHA256":
        fields.append(request.timestamp_unix)
    return "&".join([*fields, customer_key, partner_key])


def expected_mac(request: SignedRequest, customer_key: str, partner_key: str) -> str:
    message = _fields(request, customer_key, partner_key)
    if request.algorithm == "HMACSHA256":
        key = f"{customer_key}&{partner_key}".encode("latin-1", errors="replace")
        return hmac.new(key, message.encode("latin-1", errors="replace"), hashlib.sha256).hexdigest()
    # MD5 and SHA256 clients encode as UTF-8 ([C-code] fastmonkeys auth.py, eficode gem).
    digest = hashlib.md5 if request.algorithm == "MD5" else hashlib.sha256
    return digest(message.encode("utf-8")).hexdigest()


def string_to_sign(request: SignedRequest) -> str:
    """What the test server echoes after a MAC mismatch, keys masked (docs/facts/netvisor.md §3)."""
    return _fields(request, MASKED_CUSTOMER_KEY, MASKED_PARTNER_KEY)
