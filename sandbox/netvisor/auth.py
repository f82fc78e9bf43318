"""Who is calling: the real header set, the MAC, used TransactionIds and the organisation acted for.

Facts (docs/facts/netvisor.md §2.2-2.3, §3): the header names; MD5/SHA256/HMACSHA256 by the
MACHashCalculationAlgorithm header; the same TransactionId twice is refused (REQUEST_NOT_UNIQUE); a wrong MAC
answers AUTHENTICATION_FAILED and echoes the string to sign with the keys masked, as the ISV test server does.
ASSUMPTION: the one integration (partner + customer keys) may act for any organisation with a valid business
id.
"""

import hmac
import re
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Request
from sqlmodel import select
from stdnum.fi import ytunnus

from sandbox.netvisor.envelope import NetvisorFailure
from sandbox.netvisor.mac import ALGORITHMS, SignedRequest, expected_mac, string_to_sign
from sandbox.netvisor.state import SandboxState, SandboxStateDep
from sandbox.netvisor.tables import UsedTransaction

SENDER = "X-Netvisor-Authentication-Sender"
CUSTOMER_ID = "X-Netvisor-Authentication-CustomerId"
PARTNER_ID = "X-Netvisor-Authentication-PartnerId"
TIMESTAMP = "X-Netvisor-Authentication-Timestamp"
TIMESTAMP_UNIX = "X-Netvisor-Authentication-TimestampUnix"
TRANSACTION_ID = "X-Netvisor-Authentication-TransactionId"
LANGUAGE = "X-Netvisor-Interface-Language"
ORGANISATION_ID = "X-Netvisor-Organisation-ID"
MAC = "X-Netvisor-Authentication-MAC"
ALGORITHM = "X-Netvisor-Authentication-MACHashCalculationAlgorithm"
REQUIRED_HEADERS = (
    SENDER,
    CUSTOMER_ID,
    PARTNER_ID,
    TIMESTAMP,
    TRANSACTION_ID,
    LANGUAGE,
    ORGANISATION_ID,
    MAC,
)
# Swedish is SE, not SV ([C-code] fastmonkeys VALID_LANGUAGES).
LANGUAGES = ("FI", "EN", "SE")
# The organisation id is the Y-tunnus with its hyphen (docs/facts/netvisor.md §2.1).
BUSINESS_ID = re.compile(r"^\d{7}-\d$")
KEYS_NOT_VALID = "Integration keys are not valid. Please check the keys specific to the user and partner."


def _signed_url(request: Request) -> str:
    """The URL the MAC covers: scheme, Host header, path and the raw query, its percent-escapes undone (UTF-8)
    as the public clients sign it (docs/facts/netvisor.md §2.3: "Scandinavian characters in the URL must be
    ISO-8859-1 for the MAC"; rantalainen signs `key=value` of the raw values). Kept apart from the client's
    signer."""
    scope = request.scope
    raw_path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string", b"").decode("latin-1")
    host = request.headers.get("host", "")
    url = f"{scope['scheme']}://{host}{unquote(raw_path.decode('latin-1'))}"
    return f"{url}?{unquote(query)}" if query else url


def _check(request: Request, state: SandboxState) -> SignedRequest:
    headers = request.headers
    missing = [name for name in REQUIRED_HEADERS if not headers.get(name)]
    if missing:
        raise NetvisorFailure("AUTHENTICATION_FAILED", f"Missing header {missing[0]}, see documentation")
    if headers[PARTNER_ID] != state.config.partner_id:
        raise NetvisorFailure("AUTHENTICATION_FAILED", "Integration partner not found, see documentation")
    if headers[CUSTOMER_ID] != state.config.customer_id:
        raise NetvisorFailure("AUTHENTICATION_FAILED", KEYS_NOT_VALID)
    algorithm = headers.get(ALGORITHM, "MD5").upper()
    if algorithm not in ALGORITHMS:
        raise NetvisorFailure("AUTHENTICATION_FAILED", f"Unknown MAC hash calculation algorithm {algorithm}")
    if algorithm == "HMACSHA256" and not headers.get(TIMESTAMP_UNIX):
        raise NetvisorFailure("AUTHENTICATION_FAILED", f"Missing header {TIMESTAMP_UNIX}, see documentation")
    signed = SignedRequest(
        algorithm=algorithm,
        url=_signed_url(request),
        sender=headers[SENDER],
        customer_id=headers[CUSTOMER_ID],
        timestamp=headers[TIMESTAMP],
        language=headers[LANGUAGE],
        organisation_id=headers[ORGANISATION_ID],
        transaction_id=headers[TRANSACTION_ID],
        timestamp_unix=headers.get(TIMESTAMP_UNIX, ""),
    )
    expected = expected_mac(
        signed, state.config.customer_key.get_secret_value(), state.config.partner_key.get_secret_value()
    )
    if not hmac.compare_digest(expected, headers[MAC].strip().lower()):
        raise NetvisorFailure(
            "AUTHENTICATION_FAILED",
            "URI method is not valid, see documentation. "
            f"Use this string to calculate the MAC: {string_to_sign(signed)}",
        )
    return signed


def authenticated_organisation(request: Request, state: SandboxStateDep) -> str:
    """The organisation the checked request acts for; its TransactionId is used up from here on."""
    signed = _check(request, state)
    if signed.language.upper() not in LANGUAGES:
        raise NetvisorFailure("INVALID_DATA", f"Interface language must be one of {', '.join(LANGUAGES)}")
    organisation = signed.organisation_id.strip()
    known = BUSINESS_ID.match(organisation) and ytunnus.is_valid(organisation)
    if not known or organisation in state.faults.faults.authentication_failed_organisations:
        raise NetvisorFailure("AUTHENTICATION_FAILED", KEYS_NOT_VALID)
    with state.session() as session:
        if session.exec(
            select(UsedTransaction).where(UsedTransaction.transaction_id == signed.transaction_id)
        ).first():
            raise NetvisorFailure(
                "REQUEST_NOT_UNIQUE", "TransactionId has already been used. Use a unique one."
            )
        session.add(UsedTransaction(transaction_id=signed.transaction_id, used_at=datetime.now(UTC)))
        session.commit()
    return organisation


AuthenticatedOrganisation = Annotated[str, Depends(authenticated_organisation)]
