"""Netvisor's MAC authentication as an httpx.Auth, so every request is signed for the URL it is sent to.

Recipe (docs/facts/netvisor.md §2.2-2.3, HMACSHA256 generation, [C-code] rantalainen, Heltti lineage):
key = customerKey&partnerKey, message = url&sender&customerId&timestamp&language&organisationId&transactionId&
timestampUnix&customerKey&partnerKey, both ISO-8859-1, lower-case hex digest. The keys are never sent.

The `url` is the request's URL with its raw query: the parameters as text (`?invoicenumber=Lasku 1/ä`), not
as percent-escaped on the wire. That is the string the public clients sign (rantalainen joins `key=value` from
the raw values while its HTTP library escapes them when sending), and why Netvisor says "Scandinavian
characters in the URL must be ISO-8859-1 for the MAC" (docs/facts/netvisor.md §2.3): the escapes are undone
before the MAC.
"""

import hashlib
import hmac
import uuid
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from urllib.parse import unquote

import httpx
from pydantic import BaseModel, SecretStr

ORGANISATION_HEADER = "X-Netvisor-Organisation-ID"
TRANSACTION_HEADER = "X-Netvisor-Authentication-TransactionId"
"""Set on a request to send it with that TransactionId (the same request again); otherwise a fresh one."""
MAC_ALGORITHM = "HMACSHA256"


class MacFields(BaseModel):
    """Everything the MAC covers except the keys."""

    url: str
    sender: str
    customer_id: str
    timestamp: str
    language: str
    organisation_id: str
    transaction_id: str
    timestamp_unix: str


def _latin1(value: str) -> bytes:
    # Unencodable characters become "?" on both sides: the recipe only defines ISO-8859-1 text.
    return value.encode("latin-1", errors="replace")


def hmac_sha256_mac(fields: MacFields, customer_key: str, partner_key: str) -> str:
    message = "&".join(
        [
            fields.url,
            fields.sender,
            fields.customer_id,
            fields.timestamp,
            fields.language,
            fields.organisation_id,
            fields.transaction_id,
            fields.timestamp_unix,
            customer_key,
            partner_key,
        ]
    )
    key = f"{customer_key}&{partner_key}"
    return hmac.new(_latin1(key), _latin1(message), hashlib.sha256).hexdigest()


def signed_url(url: httpx.URL) -> str:
    """The URL as the MAC covers it: scheme, host, path and the raw (unescaped) query."""
    text = f"{url.scheme}://{url.netloc.decode('ascii')}{unquote(url.path)}"
    query = url.query.decode("ascii")
    return f"{text}?{unquote(query)}" if query else text


def _new_transaction_id() -> str:
    return uuid.uuid4().hex


def _utc_now() -> datetime:
    return datetime.now(UTC)


def netvisor_timestamp(moment: datetime) -> str:
    """UTC in ANSI form with milliseconds, e.g. `2008-07-24 15:49:12.221` (docs/facts/netvisor.md §2.2)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


class NetvisorAuth(httpx.Auth):
    """Signs each request for the organisation named in its `X-Netvisor-Organisation-ID` header."""

    def __init__(
        self,
        *,
        sender: str,
        partner_id: str,
        partner_key: SecretStr,
        customer_id: str,
        customer_key: SecretStr,
        language: str = "EN",
        transaction_ids: Callable[[], str] = _new_transaction_id,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._sender = sender
        self._partner_id = partner_id
        self._partner_key = partner_key
        self._customer_id = customer_id
        self._customer_key = customer_key
        self._language = language
        self._transaction_ids = transaction_ids
        self._clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        now = self._clock()
        fields = MacFields(
            url=signed_url(request.url),
            sender=self._sender,
            customer_id=self._customer_id,
            timestamp=netvisor_timestamp(now),
            language=self._language,
            organisation_id=request.headers.get(ORGANISATION_HEADER, ""),
            transaction_id=request.headers.get(TRANSACTION_HEADER) or self._transaction_ids(),
            timestamp_unix=str(int(now.timestamp())),
        )
        mac = hmac_sha256_mac(
            fields, self._customer_key.get_secret_value(), self._partner_key.get_secret_value()
        )
        # Customer ids may hold non-ASCII text (docs/facts/netvisor.md §2.1); headers travel as ISO-8859-1.
        request.headers.encoding = "iso-8859-1"
        request.headers["X-Netvisor-Authentication-Sender"] = fields.sender
        request.headers["X-Netvisor-Authentication-CustomerId"] = fields.customer_id
        request.headers["X-Netvisor-Authentication-PartnerId"] = self._partner_id
        request.headers["X-Netvisor-Authentication-Timestamp"] = fields.timestamp
        request.headers["X-Netvisor-Authentication-TimestampUnix"] = fields.timestamp_unix
        request.headers[TRANSACTION_HEADER] = fields.transaction_id
        request.headers["X-Netvisor-Interface-Language"] = fields.language
        request.headers["X-Netvisor-Authentication-MAC"] = mac
        request.headers["X-Netvisor-Authentication-MACHashCalculationAlgorithm"] = MAC_ALGORITHM
        request.headers["X-Netvisor-Authentication-UseHTTPResponseStatusCodes"] = "1"
        yield request
