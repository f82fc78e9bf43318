"""The fault matrix: each cell runs invoices in and out through the running service while one fault is on, and
checks what Netvisor and Maventa end up holding — every received invoice in Netvisor once, every sales invoice
at Maventa once, every status right — with the faults still on unless the cell says when they are lifted.
"""

import asyncio
import json
import os
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from starters.webhook_subscription import ensure_webhook_subscription
from store.received_invoices import IMPORTED
from tests.reliability.checks import Figures, exactly_once, settled, unsettled
from tests.reliability.stack import WEBHOOK_SECRET, Company, Service, eventually
from workers.dependencies import open_dependencies

COMPANIES_PER_CELL = 3
INVOICES_IN_PER_COMPANY = 5
INVOICES_OUT_PER_COMPANY = 3
SETTLE_S = 150.0
"""How long a cell may take to settle: the slowest, latency spikes, takes about 33 s on a loaded machine, and
a busy CI machine can stretch that. The 429 cell took 53 to over 90 s until every Maventa 429 held the whole
process and was sent again after the hold (clients/pacing.py); it takes about 7 s now. The dropped-answers
cell takes about 4 s; in one fresh-clone run of three on 2026-12-07 it did not settle in 90 s, and no deadline
would have helped: the likely cause, the one that put 61 of 60 invoices into Netvisor in tests/recovery's
dropped-answers test in CI the same night, is an attempt that came to resend a dropped answer's request and
got its turn only after the TransactionId had aged past its resend window (`INBOUND_RECHECK_AFTER_S`, 1 s
here), then sent the invoice again under a new id: an invoice twice in Netvisor never settles. Fixed in
f28c7af (docs/reliability.md, known limits); a cell that does not settle says what is left (`unsettled`)."""
FIGURES = os.environ.get("RELIABILITY_FIGURES")
"""A JSON file to collect each cell's figures in, for docs/reliability.md's table; unset, none are kept."""

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@dataclass(frozen=True)
class Cell:
    name: str
    maventa: dict[str, Any] = field(default_factory=dict)
    netvisor: dict[str, Any] = field(default_factory=dict)
    latency_spikes: bool = False
    expire_tokens: bool = False
    webhooks: str = "maventa"
    """maventa: Maventa's own; lost: none at all; replayed: Maventa's own plus each again twice, shuffled."""
    first_company_refused: bool = False


CELLS = [
    Cell("Maventa 5xx at 30%", maventa={"error_rate": 0.3, "status": 503}),
    Cell("Maventa 429 bursts, Retry-After", maventa={"rate_limit_per_s": 15}),
    Cell("Maventa latency spikes past the client timeout", latency_spikes=True),
    Cell("Maventa tokens expire mid-batch", expire_tokens=True),
    Cell("Netvisor 5xx at 30%", netvisor={"error_rate": 0.3, "status": 503}),
    Cell("Netvisor answers dropped at 30%", netvisor={"drop_response_rate": 0.3}),
    Cell("Netvisor AUTHENTICATION_FAILED for one company", first_company_refused=True),
    Cell("webhooks lost", webhooks="lost"),
    Cell("webhooks duplicated and out of order", webhooks="replayed"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def pool(service: Service) -> list[Company]:
    """The cells' companies, founded together before any fault."""
    return await service.found(COMPANIES_PER_CELL * len(CELLS))


@asynccontextmanager
async def repeating(action: Callable[[], Awaitable[None]], every_s: float) -> AsyncIterator[None]:
    """Run action every every_s seconds while the block runs."""

    async def loop() -> None:
        while True:
            await action()
            await asyncio.sleep(every_s)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()


@asynccontextmanager
async def latency_spikes(service: Service) -> AsyncIterator[None]:
    """Maventa's invoice calls take longer than the client waits, 1.5 s on, 1.5 s off."""
    spiking = False

    async def toggle() -> None:
        nonlocal spiking
        spiking = not spiking
        await service.maventa_faults(**({"latency_ms": 2500, "paths": ["/v1/invoices"]} if spiking else {}))

    async with repeating(toggle, 1.5):
        yield


@asynccontextmanager
async def disturbed(service: Service, cell: Cell, refused: Company) -> AsyncIterator[None]:
    """The cell's faults on for the block, off after it."""
    if cell.maventa:
        await service.maventa_faults(**cell.maventa)
    if cell.netvisor:
        await service.netvisor_faults(**cell.netvisor)
    if cell.first_company_refused:
        await service.netvisor_faults(authentication_failed_organisations=[refused.business_id])
    if cell.webhooks == "lost":
        await _unsubscribe_webhooks(service)

    async def expire() -> None:
        await asyncio.to_thread(service.expire_maventa_tokens)

    try:
        if cell.latency_spikes:
            async with latency_spikes(service):
                yield
        elif cell.expire_tokens:
            async with repeating(expire, 0.3):
                yield
        else:
            yield
    finally:
        await service.maventa_faults()
        await service.netvisor_faults()
        if cell.webhooks == "lost":
            async with open_dependencies(service.settings) as dependencies:
                await ensure_webhook_subscription(dependencies, service.settings)


async def _unsubscribe_webhooks(service: Service) -> None:
    """Maventa stops notifying: the partner's webhook subscriptions are removed."""
    settings = service.settings
    token = await service.maventa_http.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": settings.maventa_partner_company_uuid,
            "client_secret": settings.maventa_partner_user_api_key.get_secret_value(),
            "vendor_api_key": settings.maventa_vendor_api_key.get_secret_value(),
        },
    )
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    listed = await service.maventa_http.get("/v1/company/notifications", headers=headers)
    listed.raise_for_status()
    for subscription in listed.json():
        deleted = await service.maventa_http.delete(
            f"/v1/company/notifications/{subscription['id']}", headers=headers
        )
        assert deleted.status_code in (200, 204), deleted.text


async def _replay_webhooks(service: Service, companies: list[Company], received: dict[str, list[str]]) -> int:
    """Every event Maventa sent, twice more, shuffled and at once; a delivery event as soon as Maventa has
    delivered (often before its workflow has reported PENDING), never one that did not happen."""
    events: list[dict[str, Any]] = []
    for company in companies:
        events += [
            {"event": "DOCUMENTS.INVOICE.RECEIVED", "company_id": company.maventa_uuid, "invoice_id": invoice}
            for invoice in received[company.company_id]
        ]

    async def all_delivered() -> list[dict[str, Any]] | None:
        sent = [row for company in companies for row in await service.sent_at_maventa(company)]
        delivered = [row for row in sent if row["status"] == "DELIVERED"]
        return delivered if len(delivered) >= INVOICES_OUT_PER_COMPANY * len(companies) else None

    for row in await eventually(all_delivered, timeout_s=SETTLE_S) or []:
        events.append({"event": "DOCUMENTS.INVOICE.DELIVERED", "company_id": None, "invoice_id": row["id"]})
    replays = events * 2
    random.shuffle(replays)
    url = f"/v1/webhooks/maventa/{WEBHOOK_SECRET}"
    answers = await asyncio.gather(*(service.api.post(url, json=event) for event in replays))
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers if a.is_error]
    return len(replays)


def key_of(company: Company, key: str) -> str:
    return f"{company.company_id}-{key}"


def _record(cell: Cell, figures: Figures) -> None:
    if not FIGURES:
        return
    path = Path(FIGURES)
    results = json.loads(path.read_text()) if path.exists() else {}
    results[cell.name] = figures.as_dict()
    path.write_text(json.dumps(results, indent=2) + "\n")


@pytest.mark.parametrize("position", range(len(CELLS)), ids=[cell.name for cell in CELLS])
async def test_every_invoice_once_under_the_fault(
    service: Service, pool: list[Company], position: int
) -> None:
    cell = CELLS[position]
    companies = pool[COMPANIES_PER_CELL * position : COMPANIES_PER_CELL * (position + 1)]
    refused = companies[0]
    keys = {c.company_id: [key_of(c, f"out-{n}") for n in range(INVOICES_OUT_PER_COMPANY)] for c in companies}
    tokens_before = await asyncio.to_thread(service.maventa_tokens_issued)
    totals_before = await service.sweep_totals()
    started = asyncio.get_running_loop().time()

    async with disturbed(service, cell, refused):
        received = {c.company_id: await service.arrive(c, INVOICES_IN_PER_COMPANY) for c in companies}
        for company in companies:
            accepted = await service.submit_all(company, keys[company.company_id])
            assert set(accepted) == {202}, accepted
        replayed = await _replay_webhooks(service, companies, received) if cell.webhooks == "replayed" else 0
        if cell.first_company_refused:
            others = companies[1:]
            assert await eventually(lambda: settled(service, others, received, keys), timeout_s=SETTLE_S)
            blocked_ids = received[refused.company_id]
            blocked_in_netvisor = await service.in_netvisor(refused)
            blocked_queue = await asyncio.to_thread(service.queue_states, blocked_ids)
            blocked_ledger = await asyncio.to_thread(service.ledger, blocked_ids)
        else:
            done = await eventually(lambda: settled(service, companies, received, keys), timeout_s=SETTLE_S)
            if not done:
                left = await unsettled(service, companies, received, keys)
                pytest.fail(f"{cell.name}: not settled while the fault was on: {left}")

    if cell.first_company_refused:
        # While Netvisor refused the company, nothing of it was imported, quarantined or dropped: its
        # invoices waited in Maventa's queue. Once Netvisor accepts it again, they all arrive.
        assert blocked_in_netvisor == []
        assert set(blocked_queue.values()) == {"CREATED"}
        assert all(row.status != IMPORTED for row in blocked_ledger.values())
        assert await eventually(lambda: settled(service, companies, received, keys), timeout_s=SETTLE_S)

    seconds = round(asyncio.get_running_loop().time() - started, 1)
    figures = await exactly_once(service, companies, received, keys)
    figures.seconds = seconds
    figures.retries += (await service.sweep_totals()).deferred - totals_before.deferred
    if cell.expire_tokens:
        assert await asyncio.to_thread(service.maventa_tokens_issued) > tokens_before + 2
    if cell.webhooks == "replayed":
        events = sum(len(ids) for ids in received.values()) + sum(len(k) for k in keys.values())
        assert replayed == 2 * events
    _record(cell, figures)


async def test_netvisor_hears_each_status_once(service: Service, pool: list[Company]) -> None:
    """After every cell: Netvisor's history of each sales invoice is PENDING then DELIVERED, nothing twice."""
    histories = []
    for company in pool:
        for n in range(INVOICES_OUT_PER_COMPANY):
            key = key_of(company, f"out-{n}")
            response = await service.netvisor_http.get(f"/_sandbox/sales-invoices/{key}")
            if response.status_code == 200:
                histories.append([entry["status"] for entry in response.json()["history"]])
    assert len(histories) == len(pool) * INVOICES_OUT_PER_COMPANY
    assert {tuple(history) for history in histories} == {("PENDING", "DELIVERED")}
