"""Async client of Netvisor's XML API for every company the service acts for.

One Netvisor integration (partner id/key plus one customer id/key) acts for each company through the
`X-Netvisor-Organisation-ID` header. ASSUMPTION: that is how an internal Netvisor service authenticates; a
public integration has one customer key per company (docs/facts/netvisor.md §2.1).
Netvisor wants one message at a time per customer environment (docs/facts/netvisor.md §1), so calls for the
same organisation are serialised here; other processes can still overlap, which Netvisor answers as a
retryable error.
"""

import weakref
from asyncio import Lock
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import date
from typing import TypeVar
from urllib.parse import quote, urlencode

import httpx
from lxml import etree
from pydantic import SecretStr

from clients.netvisor_auth import ORGANISATION_HEADER, TRANSACTION_HEADER, NetvisorAuth
from clients.netvisor_errors import TRANSIENT_CODES, NetvisorError, NetvisorRejected, NetvisorUnavailable
from clients.netvisor_models import PurchaseInvoiceImport, PurchaseInvoiceSummary, ServiceBillingLine
from clients.netvisor_xml import (
    inserted_key,
    invoicing_address_xml,
    parse_answer,
    parse_purchase_invoice_list,
    purchase_invoice_xml,
    sales_invoice_status_xml,
    service_billing_xml,
)
from settings import Settings

__all__ = [
    "NetvisorClient",
    "NetvisorError",
    "NetvisorRejected",
    "NetvisorUnavailable",
]

PURCHASE_INVOICE = "purchaseinvoice.nv"
PURCHASE_INVOICE_LIST = "purchaseinvoicelist.nv"
# ASSUMPTIONS: Netvisor publishes no resources for these; the paths are the sandbox's
# (docs/netvisor-sandbox.md).
INVOICING_ADDRESS = "internal/invoicingaddress.nv"
SALES_INVOICE_DELIVERY_STATUS = "internal/salesinvoicedeliverystatus.nv"
SERVICE_BILLING = "internal/servicebilling.nv"

T = TypeVar("T")

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class NetvisorClient:
    def __init__(
        self,
        base_url: str,
        *,
        sender: str,
        partner_id: str,
        partner_key: SecretStr,
        customer_id: str,
        customer_key: SecretStr,
        language: str = "EN",
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 120.0,
        auth: NetvisorAuth | None = None,
        turns: Callable[[str], AbstractAsyncContextManager[None]] | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._auth = auth or NetvisorAuth(
            sender=sender,
            partner_id=partner_id,
            partner_key=partner_key,
            customer_id=customer_id,
            customer_key=customer_key,
            language=language,
        )
        self._secrets = [
            key.get_secret_value() for key in (partner_key, customer_key) if key.get_secret_value()
        ]
        # Netvisor asks for at least 120 s (docs/facts/netvisor.md §1 Timeouts).
        self._timeout = httpx.Timeout(timeout_s)
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(timeout=self._timeout)
        self._locks: weakref.WeakValueDictionary[str, Lock] = weakref.WeakValueDictionary()
        self._turns = turns
        """The fleet's one message at a time per organisation, beyond this process's own locks."""

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        http: httpx.AsyncClient | None = None,
        turns: Callable[[str], AbstractAsyncContextManager[None]] | None = None,
    ) -> "NetvisorClient":
        return cls(
            settings.netvisor_base_url,
            sender=settings.netvisor_sender,
            partner_id=settings.netvisor_partner_id,
            partner_key=settings.netvisor_partner_key,
            customer_id=settings.netvisor_customer_id,
            customer_key=settings.netvisor_customer_key,
            http=http,
            timeout_s=settings.netvisor_timeout_s,
            turns=turns,
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def import_purchase_invoice(
        self,
        organisation_id: str,
        invoice: PurchaseInvoiceImport,
        *,
        at_its_turn: Callable[[], Awaitable[str]] | None = None,
    ) -> int:
        """Netvisor's key of the new invoice. Not idempotent: the same invoice twice makes two invoices,
        unless both requests carry the same TransactionId, which Netvisor takes only once (REQUEST_NOT_UNIQUE
        the second time, docs/facts/netvisor.md §2.2); by default each has a fresh one. `at_its_turn` is
        awaited once the request holds the organisation's turn, right before it goes, and gives the
        TransactionId: the caller records its attempt there, not before a wait for the turn."""
        body = purchase_invoice_xml(invoice)
        root = await self._call(
            "POST", organisation_id, PURCHASE_INVOICE, params=None, body=body, at_its_turn=at_its_turn
        )
        return self._read(inserted_key, root, PURCHASE_INVOICE)

    async def list_purchase_invoices(
        self, organisation_id: str, *, begin_date: date, end_date: date, invoice_number: str | None = None
    ) -> list[PurchaseInvoiceSummary]:
        """Invoices by invoice date, to check after an uncertain outcome whether one already arrived."""
        params = {"begininvoicedate": begin_date.isoformat(), "endinvoicedate": end_date.isoformat()}
        if invoice_number:
            params["invoicenumber"] = invoice_number
        root = await self._call("GET", organisation_id, PURCHASE_INVOICE_LIST, params=params, body=None)
        return self._read(parse_purchase_invoice_list, root, PURCHASE_INVOICE_LIST)

    async def update_invoicing_addresses(
        self, organisation_id: str, einvoice_address: str, operator: str
    ) -> None:
        """ASSUMPTION: an internal resource that sets the company's Maventa receiving address."""
        await self._post(
            organisation_id, INVOICING_ADDRESS, invoicing_address_xml(einvoice_address, operator)
        )

    async def report_sales_invoice_status(
        self, organisation_id: str, invoice_key: str, status: str, detail: str | None
    ) -> None:
        """ASSUMPTION: an internal resource for a sales invoice's e-invoice delivery status."""
        body = sales_invoice_status_xml(invoice_key, status, detail)
        await self._post(organisation_id, SALES_INVOICE_DELIVERY_STATUS, body)

    async def post_service_billing(
        self, organisation_id: str, month: str, lines: list[ServiceBillingLine]
    ) -> None:
        """ASSUMPTION: an internal resource, idempotent per organisation and month."""
        await self._post(organisation_id, SERVICE_BILLING, service_billing_xml(month, lines))

    async def _post(self, organisation_id: str, resource: str, body: bytes) -> etree._Element:
        return await self._call("POST", organisation_id, resource, params=None, body=body)

    async def _call(
        self,
        method: str,
        organisation_id: str,
        resource: str,
        *,
        params: dict[str, str] | None,
        body: bytes | None,
        at_its_turn: Callable[[], Awaitable[str]] | None = None,
    ) -> etree._Element:
        mutating = method != "GET"
        # Spaces as %20, never "+": the MAC covers the query unescaped (clients/netvisor_auth.py), and a "+"
        # would read back as itself there but as a space on the server.
        url = f"{self._base_url}/{resource}" + (f"?{urlencode(params, quote_via=quote)}" if params else "")
        headers = {ORGANISATION_HEADER: organisation_id}
        if body is not None:
            headers["Content-Type"] = "text/xml; charset=utf-8"
        lock = self._locks.setdefault(organisation_id, Lock())
        async with lock, self._turns(organisation_id) if self._turns else nullcontext():
            if at_its_turn is not None:
                headers[TRANSACTION_HEADER] = await at_its_turn()
            try:
                response = await self._http.request(
                    method, url, content=body, headers=headers, auth=self._auth, timeout=self._timeout
                )
            except _NOT_SENT as exc:
                raise NetvisorUnavailable(
                    f"Netvisor could not be reached for {resource} ({type(exc).__name__})",
                    status=None,
                    code=None,
                    uncertain=False,
                ) from None
            except httpx.TransportError as exc:
                raise NetvisorUnavailable(
                    f"Netvisor did not answer {resource} ({type(exc).__name__})",
                    status=None,
                    code=None,
                    uncertain=mutating,
                ) from None
        return self._envelope(response, resource, mutating)

    def _envelope(self, response: httpx.Response, resource: str, mutating: bool) -> etree._Element:
        status = response.status_code
        try:
            answer = parse_answer(response.content)
        except ValueError:
            if status >= 500 or status == 429:
                raise NetvisorUnavailable(
                    f"Netvisor answered {resource} with HTTP {status}",
                    status=status,
                    code=None,
                    uncertain=mutating,
                ) from None
            raise NetvisorRejected(
                f"Netvisor answered {resource} with HTTP {status} outside its XML envelope",
                status=status,
                code=None,
            ) from None
        if answer.ok:
            return answer.root
        message = self._scrub(answer.message)
        if answer.code in TRANSIENT_CODES:
            # A technical error may come after a partial commit; maintenance answers before any work.
            uncertain = mutating and answer.code == "TECHNICAL_ERROR"
            raise NetvisorUnavailable(message, status=status, code=answer.code, uncertain=uncertain)
        raise NetvisorRejected(message, status=status, code=answer.code)

    @staticmethod
    def _read(reader: Callable[[etree._Element], T], root: etree._Element, resource: str) -> T:
        try:
            return reader(root)
        except ValueError as exc:
            raise NetvisorRejected(
                f"Netvisor's answer to {resource} was not understood: {exc}", status=200, code=None
            ) from None

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text
