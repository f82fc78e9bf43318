"""A company's next received invoice read from Maventa while this one goes to Netvisor (docs/inbound.md).

Netvisor takes a company's invoices one at a time and the ledger writes around each import wait on the store,
but reading the next invoice at Maventa (the invoice, its document, image and attachments) depends on neither:
the profile of a 100-invoice burst showed the import path doing Maventa's, the store's and Netvisor's work one
after another on a machine with a core to spare (bench/README.md). So the reads run one invoice ahead, never
more: a company has at most two invoices' reads in flight, and a company that stops early (a wait, a blocked
account) has read one invoice it did not use, whose reads are cancelled. Only reads run ahead; the ledger,
Netvisor and Maventa's HANDLED stay in the invoices' order.
"""

import asyncio
import itertools
from collections.abc import Callable, Coroutine, Sequence
from types import TracebackType
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Lookahead(Generic[T]):
    """`take(id)` gives an invoice's reads, started earlier or now, and starts the next invoice's."""

    def __init__(self) -> None:
        self._fetch: Callable[[str], Coroutine[Any, Any, T]] | None = None
        self._following: dict[str, str] = {}
        self._started: dict[str, asyncio.Task[T]] = {}

    def plan(self, invoice_ids: Sequence[str], fetch: Callable[[str], Coroutine[Any, Any, T]]) -> None:
        """The invoices in the order they will be taken, and how one is read."""
        self._fetch = fetch
        self._following = dict(itertools.pairwise(invoice_ids))

    async def take(self, invoice_id: str) -> T:
        task = self._started.pop(invoice_id, None) or self._start(invoice_id)
        following = self._following.get(invoice_id)
        if following is not None and following not in self._started:
            self._started[following] = self._start(following)
        return await task

    def _start(self, invoice_id: str) -> asyncio.Task[T]:
        if self._fetch is None:
            raise RuntimeError("plan() first: the lookahead does not know how to read an invoice")
        return asyncio.create_task(self._fetch(invoice_id))

    async def __aenter__(self) -> "Lookahead[T]":
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Reads nobody took (the company stopped early) are cancelled, and their failures dropped."""
        left = list(self._started.values())
        self._started.clear()
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
