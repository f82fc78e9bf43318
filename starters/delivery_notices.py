"""Maventa's DELIVERED/FAILED webhooks are hints: the status passed to the invoice's workflow is Maventa's own
answer when asked, never what the notice says, and a burst of notices about one invoice is coalesced.

Anyone who learned the webhook's URL could post a DELIVERED notice; so on a notice the API asks Maventa for
the invoice (one request, paced like every Maventa call of the process) and signals the workflow only when
Maventa says DELIVERED or FAILED, with that answer. Still PENDING: nothing is signalled, and the workflow's
own backstop check follows up. Notices about one invoice cost one look at once and at most one more at the
end of the window (the trailing one covers a notice that came before Maventa's answer changed); a trailing
look lost with the process is covered by the same backstop. Asking here, not in the workflow, costs no
Temporal action."""

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from pydantic import SecretStr
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from clients.maventa import MaventaClient, MaventaCredentials, MaventaError
from store.companies import get_company
from store.database import Sessions, unit_of_work
from store.sent_invoices import find_by_maventa_invoice_id
from store.vault import get_secret
from workflows.sales_invoice import SalesInvoiceWorkflow
from workflows.sales_invoice_models import (
    DELIVERED_EVENT,
    FAILED_EVENT,
    DeliveryEvent,
    DeliveryStatus,
    delivery_outcome,
    workflow_id,
)

log = logging.getLogger(__name__)

Look = Callable[[], Awaitable[bool]]
"""Follows a notice up; True once the invoice's delivery is settled, so later notices need no look."""
SETTLED_REMEMBERED = 10_000
MAVENTA_SAYS = {DeliveryStatus.DELIVERED: DELIVERED_EVENT, DeliveryStatus.FAILED: FAILED_EVENT}


class DeliveryNotices:
    """At most one leading and one trailing look per invoice per `window`, none after it settled, in this
    process."""

    def __init__(self, window: timedelta) -> None:
        self._window = window.total_seconds()
        self._last_sent: OrderedDict[str, float] = OrderedDict()
        self._trailing: dict[str, asyncio.Task[None]] = {}
        self._settled: OrderedDict[str, None] = OrderedDict()

    async def notify(self, invoice_id: str, look: Look) -> None:
        """Look now if this invoice had no look within the window; else once when the window ends."""
        self._forget_older_than_window()
        if invoice_id in self._trailing or invoice_id in self._settled:
            return
        last = self._last_sent.get(invoice_id)
        if last is None:
            self._sent(invoice_id)
            self._remember(invoice_id, await look())
            return
        delay = self._window - (time.monotonic() - last)
        self._trailing[invoice_id] = asyncio.create_task(self._later(invoice_id, delay, look))

    async def _later(self, invoice_id: str, delay: float, look: Look) -> None:
        await asyncio.sleep(max(0.0, delay))
        # Cleared before looking: a notice that arrives meanwhile gets a look of its own.
        self._trailing.pop(invoice_id, None)
        if invoice_id in self._settled:
            return
        self._sent(invoice_id)
        try:
            self._remember(invoice_id, await look())
        except Exception as error:  # the workflow's backstop check asks Maventa anyway
            log.warning("delivery notice not followed up", extra={"error_type": type(error).__name__})

    def _remember(self, invoice_id: str, settled: bool) -> None:
        if settled:
            self._settled[invoice_id] = None
            while len(self._settled) > SETTLED_REMEMBERED:
                self._settled.popitem(last=False)

    def _sent(self, invoice_id: str) -> None:
        self._last_sent[invoice_id] = time.monotonic()
        self._last_sent.move_to_end(invoice_id)

    def _forget_older_than_window(self) -> None:
        """Keeps memory to the invoices looked at within the window (oldest first, by move_to_end)."""
        horizon = time.monotonic() - self._window
        while self._last_sent:
            invoice_id, sent = next(iter(self._last_sent.items()))
            if sent >= horizon:
                return
            del self._last_sent[invoice_id]

    def close(self) -> None:
        """At shutdown: pending trailing looks are dropped; the backstop checks cover their invoices."""
        for task in self._trailing.values():
            task.cancel()
        self._trailing.clear()


@dataclass(frozen=True)
class _SentBy:
    company_id: str
    invoice_key: str
    credentials: MaventaCredentials


def _sent_by(sessions: Sessions, maventa_invoice_id: str) -> _SentBy | None:
    """Our sales invoice of this Maventa id and its company's keys; None when it is not ours."""
    with unit_of_work(sessions) as session:
        invoice = find_by_maventa_invoice_id(session, maventa_invoice_id)
        company = None if invoice is None else get_company(session, invoice.company_id)
        if invoice is None or company is None:
            return None
        if company.maventa_company_uuid is None or company.credentials_ref is None:
            return None
        key: SecretStr = get_secret(session, company.credentials_ref)
        creds = MaventaCredentials(company_uuid=company.maventa_company_uuid, user_api_key=key)
        return _SentBy(company_id=invoice.company_id, invoice_key=invoice.invoice_key, credentials=creds)


async def pass_on_delivery_notice(
    client: Client,
    maventa: MaventaClient,
    sessions: Sessions,
    notices: DeliveryNotices,
    maventa_invoice_id: str,
) -> bool:
    """Follow up a DELIVERED/FAILED notice with Maventa (coalesced); False if the invoice is not ours."""
    sent = await asyncio.to_thread(_sent_by, sessions, maventa_invoice_id)
    if sent is None:
        return False

    async def look() -> bool:
        try:
            invoice = await maventa.get_invoice(sent.credentials, maventa_invoice_id)
            outcome = delivery_outcome(invoice.status, invoice.failure_reason)
        except MaventaError as error:
            log.warning("delivery notice not confirmed by Maventa now", extra={"error": error.message})
            return False
        event = MAVENTA_SAYS.get(outcome.status)
        if event is None:
            log.info("delivery notice for %s, but Maventa says %s", sent.invoice_key, outcome.status.value)
            return False
        handle = client.get_workflow_handle(workflow_id(sent.company_id, sent.invoice_key))
        try:
            await handle.signal(
                SalesInvoiceWorkflow.delivery_event,
                DeliveryEvent(event=event, maventa_invoice_id=maventa_invoice_id),
            )
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            log.info("sales invoice %s is no longer followed; notice ignored", sent.invoice_key)
        return True

    await notices.notify(maventa_invoice_id, look)
    return True
