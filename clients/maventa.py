"""An async client for Maventa's AutoXChange REST API (research/maventa-api.md).

The same client serves the sandbox and the real hosts (`https://ax-stage.maventa.com`, `https://ax.maventa.com`):
only `base_url` and the vendor key change. It raises typed errors that say whether a retry can help and never
retries by itself, so the caller (a Temporal activity) owns the retry policy. Keys and tokens are SecretStr
and never appear in messages.
"""

import asyncio
import email.utils
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr

from clients.maventa_models import (
    AuthorizationStatus,
    CompanyInfo,
    Invoice,
    InvoiceEvent,
    InvoiceFile,
    MaventaCredentials,
    NetworkProfile,
    NewCompany,
    Notification,
    ScanService,
)

__all__ = [
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

# 401 codes after which a fresh token may help. The sandbox says `token_expired` / `token_invalid`; Maventa's
# real codes are not public (research §1.3), so a 401 without a code is treated as possibly expired too.
TOKEN_EXPIRED = "token_expired"
_RENEWABLE_401_CODES = {TOKEN_EXPIRED, "token_invalid", None}
_PROFILE_CONFLICT_CODES = {"profile_name_conflict", "profile_eia_conflict", "profile_eia_bid_conflict"}
MAX_PER_PAGE = 100


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
    """The business id already has a Maventa account ("BID ALREADY TAKEN", research §2.6, S11)."""


@dataclass
class _Token:
    value: SecretStr
    expires_at: float  # time.monotonic()


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds or as an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _error_body(response: httpx.Response) -> tuple[str | None, str, list[str]]:
    """Maventa's `{code, message, details}`; `details` may be a string (research §3, S15)."""
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
        retry_after = _retry_after(response.headers.get("Retry-After"))
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
    """UTC ISO-8601 as Maventa writes it (research §0)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        self._tokens: dict[str, _Token] = {}
        self._token_locks: dict[str, asyncio.Lock] = {}

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

    async def _public(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        what = f"{method} {path}"
        response = await self._send(method, path, what, **kwargs)
        if response.is_error:
            raise _error_for(response, what)
        return response

    async def _token(self, creds: MaventaCredentials) -> SecretStr:
        """A cached token for the company, asked anew `token_renew_margin_s` before it expires."""
        lock = self._token_locks.setdefault(creds.company_uuid, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(creds.company_uuid)
            if cached is not None and time.monotonic() < cached.expires_at - self._renew_margin_s:
                return cached.value
            form = {
                "grant_type": "client_credentials",
                "client_id": creds.company_uuid,
                "client_secret": creds.user_api_key.get_secret_value(),
                "vendor_api_key": self._vendor_api_key.get_secret_value(),
                "scope": "eui",
            }
            issued_at = time.monotonic()
            response = await self._public(
                "POST", "/oauth2/token", data=form, headers={"Accept": "application/json"}
            )
            body = response.json()
            token = _Token(
                value=SecretStr(str(body["access_token"])),
                expires_at=issued_at + float(body.get("expires_in") or 3600),
            )
            self._tokens[creds.company_uuid] = token
            return token.value

    def forget_token(self, company_uuid: str) -> None:
        self._tokens.pop(company_uuid, None)

    async def _authed(
        self, creds: MaventaCredentials, method: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        """One call as the company; an expired-token 401 gets one fresh token and one more try."""
        what = f"{method} {path}"
        token = await self._token(creds)
        response = await self._send(method, path, what, headers=self._auth(token), **kwargs)
        if response.status_code == 401 and _error_body(response)[0] in _RENEWABLE_401_CODES:
            self.forget_token(creds.company_uuid)
            token = await self._token(creds)
            response = await self._send(method, path, what, headers=self._auth(token), **kwargs)
        if response.is_error:
            raise _error_for(response, what)
        return response

    @staticmethod
    def _auth(token: SecretStr) -> dict[str, str]:
        return {"Authorization": f"Bearer {token.get_secret_value()}", "Accept": "application/json"}

    async def _all_pages(
        self, creds: MaventaCredentials, path: str, params: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Every page, by X-Next-Page when present, else until a short page (research §2.1, §3)."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            response = await self._authed(
                creds, "GET", path, params={**params, "page": page, "per_page": MAX_PER_PAGE}
            )
            batch = response.json()
            if not isinstance(batch, list):
                raise MaventaRequestError(f"Maventa GET {path} answered a {type(batch).__name__}, not a list")
            items.extend(batch)
            next_page = response.headers.get("X-Next-Page")
            if next_page is not None:
                if not next_page.strip():
                    return items
                page = int(next_page)
            elif len(batch) < MAX_PER_PAGE:
                return items
            else:
                page += 1

    # account creation (research §2.6)

    async def create_user(self, email: str, first_name: str, last_name: str) -> SecretStr:
        body = {
            "vendor_api_key": self._vendor_api_key.get_secret_value(),
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
        }
        response = await self._public("POST", "/v1/users", json=body)
        return SecretStr(str(response.json()["user_api_key"]))

    async def lookup_companies(self, partner: MaventaCredentials, business_ids: list[str]) -> dict[str, str]:
        """Business id -> FREE | RESERVED, ten ids per request as Maventa allows."""
        statuses: dict[str, str] = {}
        for start in range(0, len(business_ids), 10):
            chunk = business_ids[start : start + 10]
            params = {"bids[]": chunk, "country": "FI"}
            response = await self._authed(partner, "GET", "/v1/partner/lookups/companies", params=params)
            for row in response.json():
                statuses[str(row["company_bid"])] = str(row["company_status"])
        return statuses

    async def create_company(self, user_api_key: SecretStr, company: NewCompany) -> str:
        """The new company's UUID; Maventa links it to the vendor at once."""
        form = {
            "vendor_api_key": self._vendor_api_key.get_secret_value(),
            "user_api_key": user_api_key.get_secret_value(),
            "name": company.name,
            "bid": company.business_id,
            "email": company.email,
            "address1": company.street,
            "post_code": company.post_code,
            "post_office": company.city,
            "city": company.city,
            "country": company.country,
        }
        # multipart/form-data as Maventa documents it: every field as its own part.
        parts = {key: (None, value) for key, value in form.items()}
        response = await self._public("POST", "/v1/companies", files=parts)
        return str(response.json()["id"])

    # as a company

    async def current_company(self, creds: MaventaCredentials) -> CompanyInfo:
        response = await self._authed(creds, "GET", "/oauth2/current")
        return CompanyInfo.model_validate(response.json()["company"])

    async def request_authorization(
        self, creds: MaventaCredentials, auth_email: str, kyc_proof: dict[str, str] | None = None
    ) -> AuthorizationStatus:
        """The authorization as it stands after the request, from the same answer (no second request)."""
        body: dict[str, Any] = {"auth_email": auth_email, "locale": "FI"}
        if kyc_proof:
            body["options"] = kyc_proof
        response = await self._authed(creds, "POST", "/v1/company/authorization", json=body)
        return AuthorizationStatus.model_validate(response.json())

    async def authorization_status(self, creds: MaventaCredentials) -> AuthorizationStatus:
        response = await self._authed(creds, "GET", "/v1/company/authorization")
        return AuthorizationStatus.model_validate(response.json())

    async def vendor_link_state(self, creds: MaventaCredentials) -> str | None:
        """The link's state, or None when the company is not linked to this vendor."""
        try:
            response = await self._authed(creds, "GET", "/v1/company/vendors")
        except MaventaRequestError as exc:
            if exc.status == 404:
                return None
            raise
        state = response.json().get("state")
        return str(state) if state else None

    async def link_vendor(self, creds: MaventaCredentials) -> None:
        await self._authed(creds, "POST", "/v1/company/vendors")

    async def unlink_vendor(self, creds: MaventaCredentials) -> None:
        """Idempotent: a company not linked is what was asked for."""
        try:
            await self._authed(creds, "DELETE", "/v1/company/vendors")
        except MaventaRequestError as exc:
            if exc.status != 404:
                raise

    async def list_profiles(self, creds: MaventaCredentials) -> list[NetworkProfile]:
        response = await self._authed(creds, "GET", "/v1/company/profiles")
        return [NetworkProfile.model_validate(p) for p in response.json()]

    async def create_profile(self, creds: MaventaCredentials, network: str) -> NetworkProfile:
        """Registers the network; an existing registration of it is returned instead of an error."""
        body = {
            "network": network,
            "profiles": ["INVOICE_AND_CREDIT_NOTE" if network == "PEPPOL" else "INVOICE"],
        }
        try:
            response = await self._authed(creds, "POST", "/v1/company/profiles", json=body)
        except MaventaRequestError as exc:
            if exc.status == 422 and exc.code in _PROFILE_CONFLICT_CODES:
                existing = [p for p in await self.list_profiles(creds) if p.network == network]
                if existing:
                    return existing[0]
            raise
        return NetworkProfile.model_validate(response.json())

    async def activate_scan_service(self, creds: MaventaCredentials) -> ScanService:
        """Activates scanning, or returns the active configuration."""
        current = await self._authed(creds, "GET", "/v1/services/scan")
        service = ScanService.model_validate(current.json())
        if service.status == "active":
            return service
        response = await self._authed(creds, "POST", "/v1/services/scan")
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
        params: dict[str, Any] = {"direction": direction}
        if received_at_start is not None:
            params["received_at_start"] = _timestamp(received_at_start)
        if received_at_end is not None:
            params["received_at_end"] = _timestamp(received_at_end)
        rows = await self._all_pages(creds, "/v1/invoices", params)
        return [Invoice.model_validate(r) for r in rows]

    async def get_invoice(self, creds: MaventaCredentials, invoice_id: str) -> Invoice:
        response = await self._authed(creds, "GET", f"/v1/invoices/{invoice_id}")
        return Invoice.model_validate(response.json())

    async def download_invoice(self, creds: MaventaCredentials, invoice_id: str, return_format: str) -> bytes:
        """The document as Maventa stores it: XML bytes in their own encoding, or a PDF image."""
        response = await self._authed(
            creds, "GET", f"/v1/invoices/{invoice_id}", params={"return_format": return_format}
        )
        return response.content

    async def invoice_files(self, creds: MaventaCredentials, invoice_id: str) -> list[InvoiceFile]:
        response = await self._authed(
            creds, "GET", f"/v1/invoices/{invoice_id}", params={"return_format": "EXTENDED_DETAILS"}
        )
        return [InvoiceFile.model_validate(f) for f in response.json().get("files") or []]

    async def download_file(self, creds: MaventaCredentials, invoice_id: str, file_id: str) -> bytes:
        response = await self._authed(creds, "GET", f"/v1/invoices/{invoice_id}/files/{file_id}")
        return response.content

    async def mark_handled(self, creds: MaventaCredentials, invoice_id: str) -> None:
        await self._authed(
            creds, "PATCH", f"/v1/invoices/{invoice_id}/invoice_events", json={"state": "HANDLED"}
        )

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
        """Uploads an XML or a ZIP; the same `uuid` again returns the invoice it made (research §2.4, S10)."""
        mimetype = "application/zip" if filename.lower().endswith(".zip") else "application/xml"
        parts: dict[str, Any] = {
            "file": (filename, document, mimetype),
            "uuid": (None, uuid),
            "recipient_eia": (None, recipient_eia),
            "recipient_operator": (None, recipient_operator),
        }
        if document_format:
            parts["format"] = (None, document_format)
        response = await self._authed(creds, "POST", "/v1/invoices", files=parts)
        return Invoice.model_validate(response.json())

    async def subscribe_notifications(
        self,
        creds: MaventaCredentials,
        destination: str,
        events: list[str],
        destination_type: str = "VENDOR_WEBHOOK",
    ) -> Notification:
        body = {"destination_type": destination_type, "destination": destination, "events": events}
        response = await self._authed(creds, "POST", "/v1/company/notifications", json=body)
        return Notification.model_validate(response.json())

    async def list_notifications(self, creds: MaventaCredentials) -> list[Notification]:
        """The company's webhook subscriptions (research §2.9), so a subscription is made only once."""
        response = await self._authed(creds, "GET", "/v1/company/notifications")
        return [Notification.model_validate(row) for row in response.json()]

    async def received_events(
        self, partner: MaventaCredentials, state: str = "CREATED"
    ) -> list[InvoiceEvent]:
        """The partner-wide queue of received invoices, every page (research §2.3)."""
        rows = await self._all_pages(partner, "/v1/partner/invoice_events/received", {"state": state})
        return [InvoiceEvent.model_validate(r) for r in rows]
