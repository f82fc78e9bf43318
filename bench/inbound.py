"""A burst of received invoices for one company, or for several at once: Temporal actions per invoice, and
throughput against the same HTTP work done without Temporal in the same run.

Through Temporal: the invoices arrive at the Maventa sandbox, its webhooks reach the API, the inbox sweep
imports them (webhook, signal, queue read, import activity). The time runs from the arrival request until
the ledger holds the last one as imported; the actions are the sweep's history after a mark taken before the
burst.

Raw: the same calls with the same clients against the same sandboxes, one invoice after another as the import
activity does for one company (get, Finvoice 3.0, image, parse, Netvisor import, HANDLED), for a company the
service does not know, so the sweep leaves its invoices alone. It runs before and after the Temporal burst and
the two are averaged, so drift in the machine's speed cancels out. For several companies the raw loop runs as
many accounts side by side, each one invoice at a time.
"""

import asyncio
import os
import time
from collections import Counter
from dataclasses import dataclass, field

from pydantic import SecretStr
from sqlmodel import col, func, select

from activities.inbound_import import ATTACHMENT, DOCUMENT_FORMAT, IMAGE_FORMAT
from activities.inbound_mapping import ReceivedFile, purchase_invoice
from bench.companies import Company
from bench.histories import actions_since, mark, quiet
from bench.stack import Running, new_business_id
from bench.where import Step, cpu_seconds, import_steps, spent, steps_between
from clients.maventa import MaventaClient, MaventaCredentials
from clients.netvisor import NetvisorClient, NetvisorUnavailable
from clients.netvisor_models import PurchaseInvoiceImport
from domain.finvoice import parse_invoice
from store.database import Sessions, reading
from store.received_invoices import IMPORTED, ReceivedInvoice
from workflows.inbox_models import INBOX_WORKFLOW_ID


@dataclass(frozen=True)
class InboundResult:
    invoices: int
    actions: Counter[str]
    temporal_s: float
    raw_s: tuple[float, ...]
    load: float
    """The machine's one-minute load average as the burst began (2 cores, shared)."""
    cpu_temporal: dict[str, float] = field(default_factory=dict)
    """CPU seconds each process spent from the burst's start until the last invoice was imported."""
    cpu_raw: dict[str, float] = field(default_factory=dict)
    """The same for the raw runs, averaged over the two."""
    steps: dict[str, Step] = field(default_factory=dict)
    """The worker's import steps during the burst (observability/import_steps.py)."""

    @property
    def temporal_rate(self) -> float:
        return self.invoices / self.temporal_s

    @property
    def raw_rate(self) -> float:
        return self.invoices / (sum(self.raw_s) / len(self.raw_s))


async def arrive(running: Running, business_id: str, count: int, **body: object) -> list[str]:
    """Invoices arrive at the Maventa sandbox (its webhooks fire); their Maventa ids."""
    response = await running.maventa_http.post(
        f"/_sandbox/companies/{business_id}/received-invoices",
        json={"channel": "OPERATOR", "count": count, **body},
    )
    response.raise_for_status()
    return [row["id"] for row in response.json()]


def imported_count(sessions: Sessions, company_id: str) -> int:
    with reading(sessions) as session:
        query = select(func.count()).where(
            col(ReceivedInvoice.company_id) == company_id, col(ReceivedInvoice.status) == IMPORTED
        )
        return int(session.exec(query).one())


def imported_counts(sessions: Sessions, company_ids: list[str]) -> dict[str, int]:
    with reading(sessions) as session:
        query = (
            select(ReceivedInvoice.company_id, func.count())
            .where(col(ReceivedInvoice.company_id).in_(company_ids), col(ReceivedInvoice.status) == IMPORTED)
            .group_by(col(ReceivedInvoice.company_id))
        )
        return {company_id: int(count) for company_id, count in session.exec(query).all()}


async def until_imported(sessions: Sessions, company_id: str, count: int, within_s: float = 300.0) -> None:
    await until_all_imported(sessions, {company_id: count}, within_s)


async def until_all_imported(sessions: Sessions, counts: dict[str, int], within_s: float = 300.0) -> None:
    """Until each company has this many imported; one query a poll for all of them, so that watching ten
    companies costs the machine no more than watching one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        now = await asyncio.to_thread(imported_counts, sessions, list(counts))
        if all(now.get(company_id, 0) >= count for company_id, count in counts.items()):
            return
        if loop.time() > deadline:
            raise TimeoutError(f"fewer invoices than {counts} imported in {within_s:.0f} s")
        await asyncio.sleep(0.05)


async def raw_import(
    maventa: MaventaClient,
    netvisor: NetvisorClient,
    creds: MaventaCredentials,
    organisation: str,
    invoice_ids: list[str],
) -> None:
    """The import activity's HTTP work for one company, without Temporal, the ledger or the store."""
    for invoice_id in invoice_ids:
        invoice = await maventa.get_invoice(creds, invoice_id)
        document = await maventa.download_invoice(creds, invoice_id, DOCUMENT_FORMAT)
        image = await maventa.download_invoice(creds, invoice_id, IMAGE_FORMAT)
        files = [
            ReceivedFile(
                filename=file.filename or f"{file.id}.pdf",
                mime_type=file.mimetype or "application/octet-stream",
                content=await maventa.download_file(creds, invoice_id, file.id),
            )
            for file in invoice.files
            if file.type in (None, ATTACHMENT)
        ]
        received = parse_invoice(document)
        await _import_once_more_if_dropped(
            netvisor, organisation, purchase_invoice(invoice, received, image, files)
        )
        await maventa.mark_handled(creds, invoice_id)


async def _import_once_more_if_dropped(
    netvisor: NetvisorClient, organisation: str, invoice: PurchaseInvoiceImport
) -> None:
    """A dropped connection is tried once more (the service's import retries too), so that the loop run
    several wide on a loaded machine measures time, not luck; it is never faster for it."""
    try:
        await netvisor.import_purchase_invoice(organisation, invoice)
    except NetvisorUnavailable:
        await netvisor.import_purchase_invoice(organisation, invoice)


async def _outsider(running: Running) -> tuple[str, MaventaCredentials]:
    """A Maventa account the service does not know: its invoices are the raw baseline's alone."""
    business_id = new_business_id()
    response = await running.maventa_http.post(
        "/_sandbox/accounts", json={"business_id": business_id, "name": f"Raaka {business_id} Oy"}
    )
    response.raise_for_status()
    body = response.json()
    return business_id, MaventaCredentials(
        company_uuid=body["company_uuid"], user_api_key=SecretStr(body["user_api_key"])
    )


async def _raw_once(running: Running, invoices: int, companies: int = 1) -> float:
    """The raw loop for `companies` accounts at once, each one invoice at a time, with the same clients."""
    settings = running.settings
    outsiders = [await _outsider(running) for _ in range(companies)]
    maventa = MaventaClient(
        settings.maventa_base_url, settings.maventa_vendor_api_key, timeout_s=settings.maventa_timeout_s
    )
    netvisor = NetvisorClient.from_settings(settings)

    async def one(business_id: str, creds: MaventaCredentials) -> None:
        ids = await arrive(running, business_id, invoices)
        await raw_import(maventa, netvisor, creds, business_id, ids)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one(business_id, creds) for business_id, creds in outsiders))
        return time.perf_counter() - started
    finally:
        await maventa.aclose()
        await netvisor.aclose()


async def measure_inbound(running: Running, companies: list[Company], invoices: int) -> InboundResult:
    """`invoices` for each company at once through the service, against the raw loop run as many wide."""
    sessions = Sessions.for_url(running.settings.store_url)
    wide = len(companies)

    try:
        cpu_before = cpu_seconds(running)
        raw_before = await _raw_once(running, invoices, wide)
        cpu_raw = spent(cpu_before, cpu_seconds(running))
        await quiet(running.client, INBOX_WORKFLOW_ID)
        before = await mark(running.client, INBOX_WORKFLOW_ID)
        already = await asyncio.to_thread(imported_counts, sessions, [c.company_id for c in companies])
        steps_before = await import_steps(running)
        cpu_before = cpu_seconds(running)
        load = os.getloadavg()[0]
        started = time.perf_counter()
        await asyncio.gather(*(arrive(running, c.business_id, invoices) for c in companies))
        await until_all_imported(
            sessions, {c.company_id: already.get(c.company_id, 0) + invoices for c in companies}
        )
        temporal_s = time.perf_counter() - started
        cpu_temporal = spent(cpu_before, cpu_seconds(running))
        steps = steps_between(steps_before, await import_steps(running))
        await quiet(running.client, INBOX_WORKFLOW_ID, still_s=3.0)
        actions = await actions_since(running.client, before)
        cpu_before = cpu_seconds(running)
        raw_after = await _raw_once(running, invoices, wide)
        cpu_after = spent(cpu_before, cpu_seconds(running))
    finally:
        sessions.dispose()
    return InboundResult(
        invoices=invoices * wide,
        actions=actions,
        temporal_s=temporal_s,
        raw_s=(raw_before, raw_after),
        load=load,
        cpu_temporal=cpu_temporal,
        cpu_raw={name: (cpu_raw[name] + cpu_after.get(name, 0.0)) / 2 for name in cpu_raw},
        steps=steps,
    )
