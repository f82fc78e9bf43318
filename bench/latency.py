"""Webhook-to-Netvisor latency at a steady arrival rate, against the raw time of the same HTTP work.

Invoices arrive one at a time at the Maventa sandbox at a fixed rate (each arrival fires the webhook); an
invoice is in Netvisor when the ledger marks it imported, which the import activity does right after
Netvisor's answer. The latency is that moment minus the arrival request's.
"""

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from bench.companies import Company
from bench.histories import actions_since, mark, quiet
from bench.inbound import arrive, imported_count, until_imported
from bench.stack import Running
from store.database import Sessions, reading
from store.received_invoices import IMPORTED, ReceivedInvoice
from workflows.inbox_models import INBOX_WORKFLOW_ID


@dataclass(frozen=True)
class LatencyResult:
    rate_per_s: float
    invoices: int
    latencies_s: tuple[float, ...]
    actions: Counter[str]
    """The sweep's actions for these invoices: what the steady rate costs, next to what the burst costs."""

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_s)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies_s, n=20)[-1]


def _imported_at(sessions: Sessions, invoice_ids: list[str]) -> dict[str, datetime]:
    with reading(sessions) as session:
        rows = session.exec(
            select(ReceivedInvoice).where(
                col(ReceivedInvoice.maventa_invoice_id).in_(invoice_ids),
                col(ReceivedInvoice.status) == IMPORTED,
            )
        ).all()
        return {row.maventa_invoice_id: row.updated_at for row in rows}


async def measure_latency(
    running: Running, company: Company, rate_per_s: float, seconds: float
) -> LatencyResult:
    sessions = Sessions.for_url(running.settings.store_url)
    arrivals: dict[str, float] = {}
    count = int(rate_per_s * seconds)

    async def one(n: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
        sent = time.time()
        for invoice_id in await arrive(running, company.business_id, 1, number=f"LAT-{n:05d}"):
            arrivals[invoice_id] = sent

    try:
        await quiet(running.client, INBOX_WORKFLOW_ID)
        mark_before = await mark(running.client, INBOX_WORKFLOW_ID)
        before = await asyncio.to_thread(imported_count, sessions, company.company_id)
        first = time.time() + 0.5
        await asyncio.gather(*(one(n, first + n / rate_per_s) for n in range(count)))
        await until_imported(sessions, company.company_id, before + len(arrivals))
        done = await asyncio.to_thread(_imported_at, sessions, list(arrivals))
        await quiet(running.client, INBOX_WORKFLOW_ID, still_s=3.0)
        actions = await actions_since(running.client, mark_before)
    finally:
        sessions.dispose()
    latencies = tuple(done[i].timestamp() - arrivals[i] for i in arrivals if i in done)
    return LatencyResult(
        rate_per_s=rate_per_s, invoices=len(latencies), latencies_s=latencies, actions=actions
    )
