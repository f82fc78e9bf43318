"""Notifications leave the sandbox as real HTTP POSTs to the subscribed destinations.

Maventa POSTs to `destination` when an event occurs (docs/facts/maventa.md §2.9); the payload schema is
not published, so the body `{event, company_id, invoice_id, happened_at}` is the sandbox's assumption.
"""

import asyncio
import logging
from datetime import UTC, datetime

import httpx
from sqlmodel import Session, or_, select

from sandbox.maventa.tables import Company, Notification

log = logging.getLogger(__name__)

INVOICE_RECEIVED = "DOCUMENTS.INVOICE.RECEIVED"
INVOICE_DELIVERED = "DOCUMENTS.INVOICE.DELIVERED"
INVOICE_FAILED = "DOCUMENTS.INVOICE.FAILED"


POSTS_IN_FLIGHT = 8
"""POSTs beyond these wait here, not in httpcore's pool, whose queue is scanned whole each time a connection
frees up: 1,000 invoices arriving at once made the sandbox spend 38 % of its CPU scanning it
(bench/README.md), on the two cores the service it serves also runs on."""


class WebhookSender:
    """One HTTP client for every POST: a client per POST builds a TLS context each time, which cost the
    sandbox more CPU than answering the requests whose events it reports (bench/README.md)."""

    def __init__(self, timeout_s: float) -> None:
        self._http = httpx.AsyncClient(timeout=timeout_s)
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight = asyncio.Semaphore(POSTS_IN_FLIGHT)

    def notify(self, session: Session, company: Company, invoice_id: str, event: str) -> None:
        """Queue one POST per subscription of the company, or of its vendor, that wants the event."""
        conditions = [Notification.company_id == company.id]
        if company.vendor_key_digest:
            conditions.append(
                (Notification.destination_type == "VENDOR_WEBHOOK")
                & (Notification.vendor_key_digest == company.vendor_key_digest)
            )
        subscriptions = session.exec(select(Notification).where(or_(*conditions))).all()
        payload = {
            "event": event,
            "company_id": company.id,
            "invoice_id": invoice_id,
            "happened_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        destinations = {
            s.destination
            for s in subscriptions
            if event in s.events and (s.destination_type == "VENDOR_WEBHOOK" or s.company_id == company.id)
        }
        for destination in sorted(destinations):
            task = asyncio.get_running_loop().create_task(self._post(destination, payload))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _post(self, destination: str, payload: dict[str, str]) -> None:
        try:
            async with self._in_flight:
                response = await self._http.post(destination, json=payload)
            if response.status_code >= 300:
                log.warning(
                    "webhook %s to %s answered %s", payload["event"], destination, response.status_code
                )
        except httpx.HTTPError as exc:
            log.warning("webhook %s to %s failed: %s", payload["event"], destination, type(exc).__name__)

    async def aclose(self) -> None:
        """Lets the POSTs under way finish, then closes the client."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.aclose()
