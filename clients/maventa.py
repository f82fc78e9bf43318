"""An async client for Maventa's AutoXChange REST API (docs/facts/maventa.md).

The same client serves the sandbox and the real hosts (`https://ax-stage.maventa.com`, `https://ax.maventa.com`):
only `base_url` and the vendor key change. It raises typed errors that say whether a retry can help and never
retries by itself, so the caller (a Temporal activity) owns the retry policy. Keys and tokens are SecretStr
and never appear in messages.
"""

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from clients import maventa_operations as ops
from clients.maventa_models import (
    ApiUser,
    AuthorizationAnswer,
    AuthorizationStatus,
    CompanyInfo,
    CompanyLookup,
    CreatedCompany,
    CurrentAccount,
    Invoice,
    InvoiceEvent,
    InvoiceFile,
    MaventaCredentials,
    NetworkProfile,
    NewCompany,
    Notification,
    ScanService,
    TokenAnswer,
    VendorLink,
)
from clients.maventa_operations import Operation
from clients.pacing import retry_after_s

__all__ = [
    "AuthorizationAnswer",
    "AuthorizationStatus",
    "CompanyInfo",
    "Invoice",
    "InvoiceEvent",
    "InvoiceFile",
    "MaventaBusinessIdTaken",
    "MaventaClient",
    "MaventaCredentials",
    "MaventaError",
    "MaventaRequestError",
    "MaventaUnauthorized",
    "MaventaUnavailable",
    "NetworkProfile",
    "NewCompany",
    "Notification",
    "ScanService",
]

log = logging.getLogger(__name__)

# A 401 is Maventa's documented answer to a token that "is not valid" (and to no access: the OpenAPI's generic
# errors); its codes are not documented. Every 401 to a call with a token gets one fresh token and one more
# try. This code, the sandbox's, only marks the failure after that try as worth retrying later.
TOKEN_EXPIRED = "token_expired"
# POST /v1/company/profiles 422 "profile_name_conflict: Profile is already registered for given endpoint id".
PROFILE_REGISTERED = "profile_name_conflict"
# DELETE /v1/company/profiles/{id} 409 "profile_deletion_not_allowed".
PROFILE_DELETION_NOT_ALLOWED = "profile_deletion_not_allowed"
# Finnish Peppol participants: EAS 0216 (OVTcode) with the company's OVT code (docs/facts/einvoicing.md §2.6);
# Maventa's own example profile list for a Peppol registration (docs/facts/maventa.md §2.7).
PEPPOL_NETWORK = "PEPPOL"
PEPPOL_SCHEME = "0216"
PEPPOL_PROFILES = ["INVOICE_AND_CREDIT_NOTE"]
MAX_PER_PAGE = 100
_VAT_NUMBER = re.compile(r"^[A-Z]{2}[0-9A-Z]+$")


class MaventaError(Exception):
    """Base of every Maventa failure. Carries no secret: only status, Maventa's code and message."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: list[str] | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.details = details or []
        self.retry_after_s = retry_after_s


class MaventaUnavailable(MaventaError):
    """5xx, 429 (with Retry-After), timeouts and connection failures: trying again later can help."""

    retryable = True


class MaventaRequestError(MaventaError):
    """4xx with Maventa's {code, message, details}: the same request will fail the same way."""


class MaventaUnauthorized(MaventaRequestError):
    """401 that a fresh token did not cure: wrong keys, or no access to the resource."""


class MaventaBusinessIdTaken(MaventaRequestError):
    """The business id already has a Maventa account ("BID ALREADY TAKEN", docs/facts/maventa.md §2.6)."""


@dataclass
class _Token:
    value: SecretStr
    expires_at: float  # time.monotonic()


def _error_body(response: httpx.Response) -> tuple[str | None, str, list[str]]:
    """Maventa's `{code, message, details}`; `details` may be a string (docs/facts/maventa.md §3)."""
    try:
        body = response.json()
    except ValueError:
        return None, response.reason_phrase or "", []
    if not isinstance(body, dict):
        return None, response.reason_phrase or "", []
    details = body.get("details") or []
    if isinstance(details, str):
        details = [details]
    code = body.get("code")
    return (
        str(code) if code is not None else None,
        str(body.get("message") or response.reason_phrase or ""),
        [str(d) for d in details],
    )


def _error_for(response: httpx.Response, what: str) -> MaventaError:
    status = response.status_code
    code, message, details = _error_body(response)
    text = (
        f"Maventa {what} answered {status}"
        + (f" {code}" if code else "")
        + (f": {message}" if message else "")
    )
    if status == 429 or status >= 500:
        retry_after = retry_after_s(response.headers.get("Retry-After"))
        return MaventaUnavailable(text, status=status, code=code, details=details, retry_after_s=retry_after)
    if status == 401 and code == TOKEN_EXPIRED:
        # Only after a renewal (`_authed`): the fresh token was ended before it could be used (Maventa ending
        # tokens early). The keys are fine; the next attempt's token may last.
        return MaventaUnavailable(text, status=status, code=code, details=details)
    if status == 401:
        return MaventaUnauthorized(text, status=status, code=code, details=details)
    if code == "bid_already_taken" or "ALREADY TAKEN" in message.upper():
        return MaventaBusinessIdTaken(text, status=status, code=code, details=details)
    return MaventaRequestError(text, status=status, code=code, details=details)


def _timestamp(value: datetime) -> str:
    """UTC ISO-8601 as Maventa writes it (docs/facts/maventa.md §0)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _invoice_filter(direction: str, start: datetime | None, end: datetime | None) -> dict[str, Any]:
    params: dict[str, Any] = {"direction": direction}
    if start is not None:
        params["received_at_start"] = _timestamp(start)
    if end is not None:
        params["received_at_end"] = _timestamp(end)
    return params


class MaventaClient:
    def __init__(
        self,
        base_url: str,
        vendor_api_key: SecretStr,
        *,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 30.0,
        token_renew_margin_s: float = 300.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._vendor_api_key = vendor_api_key
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s))
        self._timeout = httpx.Timeout(timeout_s)
        self._renew_margin_s = token_renew_margin_s
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._token_locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    # transport

    async def _send(self, method: str, path: str, what: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, self._base_url + path, timeout=self._timeout, **kwargs)
        except httpx.TimeoutException as exc:
            raise MaventaUnavailable(f"Maventa {what} timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise MaventaUnavailable(f"Maventa {what} could not be reached ({type(exc).__name__})") from None

    async def _public(self, operation: Operation, **kwargs: Any) -> httpx.Response:
        what = operation.name
        response = await self._send(operation.method, operation.path, what, **kwargs)
        if response.is_error:
            raise _error_for(response, what)
        return response

    async def _token(self, creds: MaventaCredentials, scope: str) -> SecretStr:
        """A cached token of the company for these scopes, asked anew `token_renew_margin_s` before it
        expires."""
        key = (creds.company_uuid, scope)
        lock = self._token_locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(key)
            if cached is not None and time.monotonic() < cached.expires_at - self._renew_margin_s:
                return cached.value
            form = {
                "grant_type": "client_credentials",
                "client_id": creds.company_uuid,
                "client_secret": creds.user_api_key.get_secret_value(),
                "vendor_api_key": self._vendor_api_key.get_secret_value(),
                "scope": scope,
            }
            issued_at = time.monotonic()
            response = await self._public(ops.TOKEN, data=form, headers={"Accept": "application/json"})
            answer = TokenAnswer.model_validate(response.json())
            token = _Token(value=answer.access_token, expires_at=issued_at + float(answer.expires_in or 3600))
            self._tokens[key] = token
            return token.value

    def forget_token(self, company_uuid: str) -> None:
        for key in [key for key in self._tokens if key[0] == company_uuid]:
            del self._tokens[key]

    async def _authed(
        self,
        creds: MaventaCredentials,
        operation: Operation,
        path: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One call as the company; a 401 gets one fresh token and one more try."""
        url_path = operation.url_path(**(path or {}))
        what = f"{operation.method} {url_path}"
        token = await self._token(creds, operation.scope)
        response = await self._send(operation.method, url_path, what, headers=self._auth(token), **kwargs)
        if response.status_code == 401:
            self.forget_token(creds.company_uuid)
            token = await self._token(creds, operation.scope)
            response = await self._send(operation.method, url_path, what, headers=self._auth(token), **kwargs)
        if response.is_error:
            raise _error_for(response, what)
        return response

    @staticmethod
    def _auth(token: SecretStr) -> dict[str, str]:
        return {"Authorization": f"Bearer {token.get_secret_value()}", "Accept": "application/json"}

    async def _page(
        self, creds: MaventaCredentials, operation: Operation, params: dict[str, Any], page: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One page and the next one's number: X-Next-Page when present, else after a full page
        (docs/facts/maventa.md §2.1, §3)."""
        response = await self._authed(
            creds, operation, params={**params, "page": page, "per_page": MAX_PER_PAGE}
        )
        batch = response.json()
        if not isinstance(batch, list):
            raise MaventaRequestError(
                f"Maventa {operation.name} answered a {type(batch).__name__}, not a list"
            )
        next_page = response.headers.get("X-Next-Page")
        if next_page is not None:
            return batch, int(next_page) if next_page.strip() else None
        return batch, page + 1 if len(batch) >= MAX_PER_PAGE else None

    async def _all_pages(
        self, creds: MaventaCredentials, operation: Operation, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Every page."""
        items: list[dict[str, Any]] = []
        page: int | None = 1
        while page is not None:
            batch, page = await self._page(creds, operation, params, page)
            items.extend(batch)
        return items

    # account creation (docs/facts/maventa.md §2.6)

    async def create_user(self, email: str, first_name: str, last_name: str) -> SecretStr:
        body = {
            "vendor_api_key": self._vendor_api_key.get_secret_value(),
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
        }
        response = await self._public(ops.CREATE_USER, json=body)
        return ApiUser.model_validate(response.json()).user_api_key

    async def lookup_companies(self, partner: MaventaCredentials, business_ids: list[str]) -> dict[str, str]:
        """Business id -> FREE | RESERVED, ten ids per request as Maventa allows.

        `bids` is an array in the query's form style without explode, i.e. comma-separated (the OpenAPI)."""
        statuses: dict[str, str] = {}
        for start in range(0, len(business_ids), 10):
            chunk = business_ids[start : start + 10]
            params = {"bids": ",".join(chunk), "country": "FI"}
            response = await self._authed(partner, ops.LOOKUP_COMPANIES, params=params)
            for row in response.json():
                lookup = CompanyLookup.model_validate(row)
                statuses[lookup.company_bid] = lookup.company_status
        return statuses

    async def create_company(self, user_api_key: SecretStr, company: NewCompany) -> str:
        """The new company's UUID; Maventa links it to the vendor at once.

        Every field the OpenAPI requires is sent. `no_vat` says whether `bid` is something other than a VAT
        number ("set to true to skip VAT-check"): a Finnish business id such as 1234567-8 is not one."""
        form = {
            "vendor_api_key": self._vendor_api_key.get_secret_value(),
            "user_api_key": user_api_key.get_secret_value(),
            "name": company.name,
            "bid": company.business_id,
            "no_vat": "false" if _VAT_NUMBER.match(company.business_id) else "true",
            "email": company.email,
            "address1": company.street,
            "post_code": company.post_code,
            "post_office": company.city,
            "city": company.city,
            "country": company.country,
        }
        # multipart/form-data as Maventa documents it: every field as its own part.
        parts = {key: (None, value) for key, value in form.items()}
        response = await self._public(ops.CREATE_COMPANY, files=parts)
        return CreatedCompany.model_validate(response.json()).id

    # as a company

    async def current_company(self, creds: MaventaCredentials) -> CompanyInfo:
        response = await self._authed(creds, ops.CURRENT_COMPANY)
        return CurrentAccount.model_validate(response.json()).company

    async def request_authorization(
        self, creds: MaventaCredentials, auth_email: str, kyc_proof: dict[str, str] | None = None
    ) -> AuthorizationAnswer:
        """Asks Maventa to authorize (KYC) the company; the answer is the request's result, not the new
        state (`authorization_status` has that). A partner's own KYC proof goes in `options` as a JSON
        string."""
        body: dict[str, Any] = {"auth_email": auth_email, "locale": "FI"}
        if kyc_proof:
            body["options"] = json.dumps(kyc_proof, sort_keys=True)
        response = await self._authed(creds, ops.REQUEST_AUTHORIZATION, json=body)
        return AuthorizationAnswer.model_validate(response.json())

    async def authorization_status(self, creds: MaventaCredentials) -> AuthorizationStatus:
        response = await self._authed(creds, ops.AUTHORIZATION_STATUS)
        return AuthorizationStatus.model_validate(response.json())

    async def vendor_link_state(self, creds: MaventaCredentials) -> str | None:
        """The link's state, or None when the company is not linked to this vendor."""
        try:
            response = await self._authed(creds, ops.VENDOR_LINK)
        except MaventaRequestError as exc:
            if exc.status == 404:
                return None
            raise
        return VendorLink.model_validate(response.json()).state or None

    async def link_vendor(self, creds: MaventaCredentials) -> None:
        await self._authed(creds, ops.LINK_VENDOR)

    async def unlink_vendor(self, creds: MaventaCredentials) -> None:
        """Idempotent: a company not linked is what was asked for."""
        try:
            await self._authed(creds, ops.UNLINK_VENDOR)
        except MaventaRequestError as exc:
            if exc.status != 404:
                raise

    async def list_profiles(self, creds: MaventaCredentials) -> list[NetworkProfile]:
        response = await self._authed(creds, ops.LIST_PROFILES)
        return [NetworkProfile.model_validate(p) for p in response.json()]

    async def create_profile(self, creds: MaventaCredentials, network: str) -> NetworkProfile:
        """Registers a network Maventa identifies the company in by itself (VISMA, BANK); an existing
        registration of it is returned instead of an error."""
        return await self._register(creds, {"network": network, "profiles": ["INVOICE"]})

    async def register_peppol(self, creds: MaventaCredentials, business_id: str) -> NetworkProfile:
        """Registers the company on PEPPOL as its Finnish participant: scheme 0216 with its OVT code."""
        body = {
            "network": PEPPOL_NETWORK,
            "profiles": PEPPOL_PROFILES,
            "scheme": PEPPOL_SCHEME,
            "endpoint_id": "0037" + re.sub(r"\D", "", business_id),
        }
        return await self._register(creds, body)

    async def _register(self, creds: MaventaCredentials, body: dict[str, Any]) -> NetworkProfile:
        try:
            response = await self._authed(creds, ops.CREATE_PROFILE, json=body)
        except MaventaRequestError as exc:
            if exc.status == 422 and exc.code == PROFILE_REGISTERED:
                existing = [p for p in await self.list_profiles(creds) if p.network == body["network"]]
                if existing:
                    return existing[0]
            raise
        return NetworkProfile.model_validate(response.json())

    async def delete_profile(self, creds: MaventaCredentials, profile_id: str) -> None:
        """Removes a registration; one already gone is what was asked for."""
        try:
            await self._authed(creds, ops.DELETE_PROFILE, {"id": profile_id})
        except MaventaRequestError as exc:
            if exc.status != 404:
                raise

    async def activate_scan_service(self, creds: MaventaCredentials) -> ScanService:
        """Activates scanning, or returns the active configuration. Activation answers 200 with a body the
        OpenAPI does not describe, so the configuration is read again after it."""
        current = await self._authed(creds, ops.SCAN_SERVICE)
        service = ScanService.model_validate(current.json())
        if service.status == "active":
            return service
        await self._authed(creds, ops.ACTIVATE_SCAN)
        response = await self._authed(creds, ops.SCAN_SERVICE)
        return ScanService.model_validate(response.json())

    async def list_invoices(
        self,
        creds: MaventaCredentials,
        *,
        direction: str,
        received_at_start: datetime | None = None,
        received_at_end: datetime | None = None,
    ) -> list[Invoice]:
        """Every invoice in the window, across all pages (the default page is only 10)."""
        params = _invoice_filter(direction, received_at_start, received_at_end)
        rows = await self._all_pages(creds, ops.LIST_INVOICES, params)
        return [Invoice.model_validate(r) for r in rows]

    async def list_invoices_page(
        self,
        creds: MaventaCredentials,
        *,
        direction: str,
        received_at_start: datetime,
        received_at_end: datetime,
        page: int,
    ) -> tuple[list[Invoice], int | None]:
        """One page of up to MAX_PER_PAGE invoices in the window, and the next page's number (None: last)."""
        params = _invoice_filter(direction, received_at_start, received_at_end)
        rows, next_page = await self._page(creds, ops.LIST_INVOICES, params, page)
        return [Invoice.model_validate(r) for r in rows], next_page

    async def get_invoice(self, creds: MaventaCredentials, invoice_id: str) -> Invoice:
        response = await self._authed(creds, ops.GET_INVOICE, {"id": invoice_id})
        return Invoice.model_validate(response.json())

    async def download_invoice(self, creds: MaventaCredentials, invoice_id: str, return_format: str) -> bytes:
        """The document as Maventa stores it: XML bytes in their own encoding, or a PDF image."""
        response = await self._authed(
            creds, ops.GET_INVOICE, {"id": invoice_id}, params={"return_format": return_format}
        )
        return response.content

    async def invoice_files(self, creds: MaventaCredentials, invoice_id: str) -> list[InvoiceFile]:
        response = await self._authed(
            creds, ops.GET_INVOICE, {"id": invoice_id}, params={"return_format": "EXTENDED_DETAILS"}
        )
        return Invoice.model_validate(response.json()).files

    async def download_file(self, creds: MaventaCredentials, invoice_id: str, file_id: str) -> bytes:
        response = await self._authed(creds, ops.GET_FILE, {"id": invoice_id, "file_id": file_id})
        return response.content

    async def mark_handled(self, creds: MaventaCredentials, invoice_id: str) -> None:
        await self._authed(creds, ops.SET_INVOICE_EVENT, {"id": invoice_id}, json={"state": "HANDLED"})

    async def send_invoice(
        self,
        creds: MaventaCredentials,
        document: bytes,
        filename: str,
        *,
        uuid: str,
        recipient_eia: str,
        recipient_operator: str,
        document_format: str | None = None,
    ) -> Invoice:
        """Uploads an XML or a ZIP once per `uuid` (docs/facts/maventa.md §2.4).

        The OpenAPI documents only 201 for the upload; the `uuid` is the invoice's own id ("Unique invoice
        uuid, generated automatically if not specified"). A repeated `uuid` is an invalid request, so any
        other refusal is checked by looking the invoice up by that id before deciding: found, it is the
        invoice an earlier attempt created."""
        mimetype = "application/zip" if filename.lower().endswith(".zip") else "application/xml"
        parts: dict[str, Any] = {
            "file": (filename, document, mimetype),
            "uuid": (None, uuid),
            "recipient_eia": (None, recipient_eia),
            "recipient_operator": (None, recipient_operator),
        }
        if document_format:
            parts["format"] = (None, document_format)
        try:
            response = await self._authed(creds, ops.SEND_INVOICE, files=parts)
        except MaventaUnauthorized:
            raise
        except MaventaRequestError as refused:
            earlier = await self._sent_invoice(creds, uuid)
            if earlier is None:
                raise refused from None
            return earlier
        return Invoice.model_validate(response.json())

    async def _sent_invoice(self, creds: MaventaCredentials, uuid: str) -> Invoice | None:
        try:
            return await self.get_invoice(creds, uuid)
        except MaventaRequestError as exc:
            if exc.status == 404:
                return None
            raise

    async def subscribe_notifications(
        self,
        creds: MaventaCredentials,
        destination: str,
        events: list[str],
        destination_type: str = "VENDOR_WEBHOOK",
    ) -> Notification:
        body = {"destination_type": destination_type, "destination": destination, "events": events}
        response = await self._authed(creds, ops.SUBSCRIBE_NOTIFICATIONS, json=body)
        return Notification.model_validate(response.json())

    async def list_notifications(self, creds: MaventaCredentials) -> list[Notification]:
        """The company's webhook subscriptions (docs/facts/maventa.md §2.9), so one is made only once."""
        response = await self._authed(creds, ops.LIST_NOTIFICATIONS)
        return [Notification.model_validate(row) for row in response.json()]

    async def received_events(
        self, partner: MaventaCredentials, state: str = "CREATED"
    ) -> list[InvoiceEvent]:
        """The partner-wide queue of received invoices, every page (docs/facts/maventa.md §2.3)."""
        rows = await self._all_pages(partner, ops.RECEIVED_EVENTS, {"state": state})
        return [InvoiceEvent.model_validate(r) for r in rows]
