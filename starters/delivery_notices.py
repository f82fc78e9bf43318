"""Maventa's DELIVERED/FAILED webhooks as hints, coalesced per invoice: a burst of notices about one invoice
costs one signal to its workflow at once and at most one more at the end of the window, whatever they say.

The workflow asks Maventa for the invoice's status on each signal (workflows/sales_invoice.py), so a notice's
own event is never believed and repeats add nothing but Temporal actions. The trailing signal covers a
notice that arrived before Maventa's own answer changed. A trailing signal lost with the process is covered
by the workflow's backstop check.
"""

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta

log = logging.getLogger(__name__)

Signal = Callable[[], Awaitable[None]]


class DeliveryNotices:
    """At most one leading and one trailing signal per invoice per `window`, in this process."""

    def __init__(self, window: timedelta) -> None:
        self._window = window.total_seconds()
        self._last_sent: OrderedDict[str, float] = OrderedDict()
        self._trailing: dict[str, asyncio.Task[None]] = {}

    async def notify(self, invoice_id: str, signal: Signal) -> None:
        """Signal now if this invoice had none within the window; else once when the window ends."""
        self._forget_older_than_window()
        if invoice_id in self._trailing:
            return
        last = self._last_sent.get(invoice_id)
        if last is None:
            self._sent(invoice_id)
            await signal()
            return
        delay = self._window - (time.monotonic() - last)
        self._trailing[invoice_id] = asyncio.create_task(self._later(invoice_id, delay, signal))

    async def _later(self, invoice_id: str, delay: float, signal: Signal) -> None:
        await asyncio.sleep(max(0.0, delay))
        # Cleared before sending: a notice that arrives while this signal is on its way gets its own.
        self._trailing.pop(invoice_id, None)
        self._sent(invoice_id)
        try:
            await signal()
        except Exception as error:  # the workflow's backstop check asks Maventa anyway
            log.warning("delivery notice not passed on", extra={"error_type": type(error).__name__})

    def _sent(self, invoice_id: str) -> None:
        self._last_sent[invoice_id] = time.monotonic()
        self._last_sent.move_to_end(invoice_id)

    def _forget_older_than_window(self) -> None:
        """Keeps memory to the invoices notified within the window (oldest first, by move_to_end)."""
        horizon = time.monotonic() - self._window
        while self._last_sent:
            invoice_id, sent = next(iter(self._last_sent.items()))
            if sent >= horizon:
                return
            del self._last_sent[invoice_id]

    def close(self) -> None:
        """At shutdown: pending trailing signals are dropped; the backstop checks cover their invoices."""
        for task in self._trailing.values():
            task.cancel()
        self._trailing.clear()
