"""Importing a company's received invoices: one invoice that must wait does not hold up the others.

The activity runs as a worker would run it (ActivityEnvironment) against both sandboxes over real HTTP and a
real store; the waiting invoice comes from a real dropped Netvisor answer, not a made-up ledger row.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import httpx
import pytest_asyncio
from prometheus_client import REGISTRY
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment

from activities.inbound_import import UNAVAILABLE_IN_A_ROW, InboundImportActivities
from clients.maventa import MaventaClient
from clients.netvisor import NetvisorClient
from devstack.ports import free_port
from observability.import_steps import STEPS
from settings import Settings
from store.database import unit_of_work
from store.received_invoices import ReceivedInvoice, get_received_invoice
from tests.clock import wall_clock
from tests.inbound.harness import Inbound, Receiver, inbound_stack
from workflows.inbox_models import CompanyInvoices, ImportBatch, ImportOutcome

T = TypeVar("T")
RECHECK = timedelta(seconds=3)
"""Long enough for the second attempt to start before the uncertain invoice can be looked up, however busy."""


@pytest_asyncio.fixture(loop_scope="session")
async def stack(temporal_client: Client, task_queue: str, tmp_path: Path) -> AsyncIterator[Inbound]:
    async with inbound_stack(temporal_client, task_queue, tmp_path) as running:
        yield running


async def _import(
    stack: Inbound,
    *companies: tuple[Receiver, list[str]],
    maventa_paths: list[str] | None = None,
    netvisor: NetvisorClient | None = None,
) -> ImportOutcome:
    """One attempt; `maventa_paths` collects the path of every Maventa request it makes."""

    async def record(request: httpx.Request) -> None:
        if maventa_paths is not None:
            maventa_paths.append(request.url.path)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        maventa = MaventaClient(
            stack.settings.maventa_base_url, stack.settings.maventa_vendor_api_key, http=http, timeout_s=10
        )
        activities = InboundImportActivities(
            maventa, netvisor or stack.netvisor, stack.sessions, recheck_after=RECHECK
        )
        batch = ImportBatch(
            companies=[
                CompanyInvoices(maventa_company_uuid=c.maventa_uuid, queued=ids) for c, ids in companies
            ]
        )
        return await ActivityEnvironment().run(activities.import_received, batch)


async def _imported_with_its_answer_dropped(
    stack: Inbound, number: str
) -> tuple[Receiver, str, ImportOutcome]:
    """A company's one invoice, imported once with Netvisor's answer dropped: Netvisor took it, and the
    attempt's outcome leaves it waiting. The company, the invoice and that outcome."""
    company = await stack.company()
    [invoice] = await stack.arrive(company, "OPERATOR", number=number)
    await stack.netvisor_faults(drop_response_rate=1.0)
    first = await _import(stack, (company, [invoice]))
    await stack.netvisor_faults()
    assert [w.invoice_id for w in first.waiting] == [invoice], "Netvisor took it but its answer was lost"
    return company, invoice, first


async def _numbers(stack: Inbound, company: Receiver) -> Counter[str]:
    """Invoices in Netvisor by the number's prefix (the sandbox numbers a burst PREFIX-1, PREFIX-2, ...)."""
    return Counter(row["invoice_number"].split("-")[0] for row in await stack.in_netvisor(company))


async def test_one_uncertain_invoice_waits_alone_and_reaches_netvisor_once(stack: Inbound) -> None:
    """1 uncertain + 9 fine: the 9 are in Netvisor after one attempt; the uncertain one is sent again as the
    same request, which Netvisor refuses as used (it took the first), so it waits until Netvisor can show it;
    a look-up that fails costs no new wait, and the next finds it instead of sending it again."""
    company, uncertain, first = await _imported_with_its_answer_dropped(stack, "UNCERTAIN")
    assert first.waiting[0].retry_at <= wall_clock(), "the same request can go again at once"
    sent_with = stack.ledger(uncertain).transaction_id  # type: ignore[union-attr]

    fine = await stack.arrive(company, "OPERATOR", count=9, number="FINE")
    second = await _import(stack, (company, [*fine[:4], uncertain, *fine[4:]]))

    assert second.imported == 9, second
    assert [w.invoice_id for w in second.waiting] == [uncertain]
    assert second.deferred == 1
    assert "reached Netvisor" in second.waiting[0].reason
    assert (await _numbers(stack, company)) == Counter({"FINE": 9, "UNCERTAIN": 1}), "refused, not doubled"
    row = stack.ledger(uncertain)
    assert row is not None and row.attempts == 2 and row.transaction_id is None, (
        f"sent again once with {sent_with}, then never again with it"
    )
    assert second.retry_at is not None
    assert row.updated_at + RECHECK <= second.retry_at < row.updated_at + 2 * RECHECK, "back once it can tell"

    paths: list[str] = []
    waiting = await _import(stack, (company, [uncertain]), maventa_paths=paths)
    assert "not visible in Netvisor yet" in waiting.waiting[0].reason
    assert not [p for p in paths if uncertain in p], "waiting costs no Maventa request, not even a read ahead"

    await asyncio.sleep(max(0.0, (second.retry_at - wall_clock()).total_seconds()))
    await stack.netvisor_faults(error_rate=1.0, status=503)
    looked_up_in_vain = await _import(stack, (company, [uncertain]))
    await stack.netvisor_faults()
    [failed_look_up] = looked_up_in_vain.waiting
    assert failed_look_up.retry_at < wall_clock() + RECHECK, "a look-up sent nothing: no new recheck delay"
    assert stack.ledger(uncertain).attempts == 2  # type: ignore[union-attr]

    third = await _import(stack, (company, [uncertain]))

    assert third.imported == 1 and third.waiting == [], third
    assert (await _numbers(stack, company)) == Counter({"FINE": 9, "UNCERTAIN": 1})
    row = stack.ledger(uncertain)
    assert row is not None and row.status == "imported"
    assert row.attempts == 2, "the look-up that found it sent nothing"
    states = await stack.queue_state()
    assert all(states[i] == "HANDLED" for i in [uncertain, *fine])


async def test_a_request_netvisor_never_took_is_sent_again_at_once(stack: Inbound) -> None:
    """A 5xx from in front of Netvisor may as well have followed a commit, so the attempt is uncertain; sent
    again at once with the same TransactionId, Netvisor accepts it (it never saw the first): one import, no
    recheck delay."""
    company = await stack.company()
    [invoice] = await stack.arrive(company, "OPERATOR", number="FIVEHUNDRED")
    await stack.netvisor_faults(error_rate=1.0, status=500)
    first = await _import(stack, (company, [invoice]))
    await stack.netvisor_faults()
    [waiting] = first.waiting
    assert waiting.retry_at <= wall_clock(), "no recheck delay: the same request goes again"
    counted = stack.ledger(invoice)
    assert counted is not None and counted.attempts == 1

    again = await _import(stack, (company, [invoice]))

    assert again.imported == 1 and again.waiting == [], again
    assert (await _numbers(stack, company)) == Counter({"FIVEHUNDRED": 1})
    row = stack.ledger(invoice)
    assert row is not None and row.status == "imported"
    assert (row.attempts, row.transaction_id) == (2, counted.transaction_id), "the same request, sent twice"


async def test_a_request_lost_on_its_way_is_sent_again_at_once(stack: Inbound) -> None:
    """A request that left but never reached Netvisor (as when a worker dies with it on the way) leaves the
    attempt uncertain; the next attempt sends the same request and Netvisor takes it once."""
    company = await stack.company()
    [invoice] = await stack.arrive(company, "OPERATOR", number="LOST")

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    nowhere = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = nowhere.sockets[0].getsockname()[1]
    lost = NetvisorClient.from_settings(
        Settings(netvisor_base_url=f"http://127.0.0.1:{port}", netvisor_timeout_s=0.5)
    )
    try:
        first = await _import(stack, (company, [invoice]), netvisor=lost)
    finally:
        await lost.aclose()
        nowhere.close()
    assert [w.invoice_id for w in first.waiting] == [invoice]
    assert "same request goes again" in first.waiting[0].reason

    again = await _import(stack, (company, [invoice]))

    assert again.imported == 1, again
    assert (await _numbers(stack, company)) == Counter({"LOST": 1})


async def test_two_attempts_at_one_invoice_import_it_once(stack: Inbound) -> None:
    """A lost attempt's successor and the attempt itself, both alive (the worker was only slow): the second
    sends the first's request again, with its TransactionId, and Netvisor takes one of the two."""
    company = await stack.company()
    [invoice] = await stack.arrive(company, "OPERATOR", number="TWICE")
    await stack.netvisor_faults(latency_ms=300)
    try:
        one, other = await asyncio.gather(
            _import(stack, (company, [invoice])), _import(stack, (company, [invoice]))
        )
    finally:
        await stack.netvisor_faults()
    assert one.imported + other.imported == 1, (one, other)
    assert (await _numbers(stack, company)) == Counter({"TWICE": 1})


async def test_an_attempt_is_counted_once_its_request_holds_the_organisations_turn(stack: Inbound) -> None:
    """While another message of the organisation holds Netvisor's turn, the waiting attempt is not yet in the
    ledger's count: counted before the wait, its time would let another attempt look the invoice up (and find
    nothing) once the recheck had passed, and send it anew before this request had even gone."""
    company = await stack.company()
    [invoice] = await stack.arrive(company, "OPERATOR", number="TURN")
    outcome, while_waiting = await _import_with_the_turn_held(
        stack, company, invoice, lambda: _ledger_row(stack, invoice)
    )
    assert while_waiting is not None and while_waiting.attempts == 0, while_waiting
    assert outcome.imported == 1, outcome
    assert (await _numbers(stack, company)) == Counter({"TURN": 1})
    after = await _ledger_row(stack, invoice)
    assert after is not None and after.attempts == 1


async def test_a_resend_whose_id_goes_stale_while_it_waits_for_its_turn_sends_nothing(stack: Inbound) -> None:
    """An attempt that set out to send an uncertain invoice's request again, and got the organisation's turn
    only after that request's id went stale, must not send a new request in its place: the first may have been
    imported, which only Netvisor's list can tell (a recovery run under Netvisor's faults imported one invoice
    twice so). It waits, and the next attempt looks the invoice up and finds it."""
    company, invoice, _ = await _imported_with_its_answer_dropped(stack, "STALE")
    sent = await _ledger_row(stack, invoice)
    assert sent is not None and sent.transaction_since is not None
    stale_at = sent.transaction_since.replace(tzinfo=wall_clock().tzinfo) + RECHECK
    second, _ = await _import_with_the_turn_held(
        stack,
        company,
        invoice,
        lambda: asyncio.sleep(max(0.0, (stale_at - wall_clock()).total_seconds()) + 0.1),
    )

    assert second.imported == 0 and [w.invoice_id for w in second.waiting] == [invoice], second
    assert (await _numbers(stack, company)) == Counter({"STALE": 1}), "the stale resend sent nothing new"
    after = await _ledger_row(stack, invoice)
    assert after is not None and after.attempts == 1, "nothing was sent, so nothing was counted"
    await asyncio.sleep(
        max(
            0.0,
            (after.updated_at.replace(tzinfo=wall_clock().tzinfo) + RECHECK - wall_clock()).total_seconds(),
        )
    )
    third = await _import(stack, (company, [invoice]))
    assert third.imported == 1 and third.waiting == [], third
    assert (await _numbers(stack, company)) == Counter({"STALE": 1})


async def _import_with_the_turn_held(
    stack: Inbound, company: Receiver, invoice: str, while_held: Callable[[], Awaitable[T]]
) -> tuple[ImportOutcome, T]:
    """One attempt whose Netvisor turn is held elsewhere until `while_held` (run once the attempt asks for
    the turn) has finished; the attempt's outcome and what `while_held` gave."""
    asked, given = asyncio.Event(), asyncio.Event()

    @asynccontextmanager
    async def turn_held_elsewhere(organisation_id: str) -> AsyncIterator[None]:
        asked.set()
        await given.wait()
        yield

    netvisor = NetvisorClient.from_settings(stack.settings, turns=turn_held_elsewhere)
    try:
        importing = asyncio.create_task(_import(stack, (company, [invoice]), netvisor=netvisor))
        await asyncio.wait_for(asked.wait(), timeout=30)
        held = await while_held()
        given.set()
        return await importing, held
    finally:
        await netvisor.aclose()


async def _ledger_row(stack: Inbound, invoice_id: str) -> ReceivedInvoice | None:
    def read() -> ReceivedInvoice | None:
        with unit_of_work(stack.sessions) as session:
            row = get_received_invoice(session, invoice_id)
            if row is not None:
                session.expunge(row)
            return row

    return await asyncio.to_thread(read)


async def test_netvisor_down_stops_a_company_after_a_few_invoices(stack: Inbound) -> None:
    """An outage is not tried invoice by invoice: after a run of failures the rest of the company waits."""
    company = await stack.company()
    ids = await stack.arrive(company, "OPERATOR", count=UNAVAILABLE_IN_A_ROW + 4, number="DOWN")
    await stack.netvisor_faults(error_rate=1.0, status=503)
    outcome = await _import(stack, (company, ids))
    await stack.netvisor_faults()
    assert outcome.imported == 0
    assert sorted(w.invoice_id for w in outcome.waiting) == sorted(ids)
    tried = [i for i in ids if stack.ledger(i) is not None]
    assert tried == ids[:UNAVAILABLE_IN_A_ROW], "only the run of failures reached Netvisor"


async def test_netvisor_unreachable_costs_no_recheck_delay(stack: Inbound) -> None:
    """Nothing reached Netvisor, so the ledger forgets the attempts and the next one sends at once."""
    company = await stack.company()
    ids = await stack.arrive(company, "OPERATOR", count=3, number="UNREACHED")
    unreachable = NetvisorClient.from_settings(Settings(netvisor_base_url=f"http://127.0.0.1:{free_port()}"))
    try:
        outcome = await _import(stack, (company, ids), netvisor=unreachable)
    finally:
        await unreachable.aclose()
    assert sorted(w.invoice_id for w in outcome.waiting) == sorted(ids)
    assert all(w.retry_at <= wall_clock() for w in outcome.waiting), "no recheck delay to wait for"
    assert [stack.ledger(i).attempts for i in ids] == [0, 0, 0]  # type: ignore[union-attr]

    again = await _import(stack, (company, ids))
    assert again.imported == 3 and again.waiting == [], again
    assert (await _numbers(stack, company))["UNREACHED"] == 3


async def test_maventa_rate_limit_holds_the_rest_of_the_company(stack: Inbound) -> None:
    company = await stack.company()
    ids = await stack.arrive(company, "OPERATOR", count=3, number="LIMITED")
    (await stack.maventa_http.put("/_sandbox/faults", json={"rate_limit_per_s": 1})).raise_for_status()
    try:
        outcome = await _import(stack, (company, ids))
    finally:
        (await stack.maventa_http.delete("/_sandbox/faults")).raise_for_status()
    assert outcome.imported == 0
    assert sorted(w.invoice_id for w in outcome.waiting) == sorted(ids)
    assert len({w.retry_at for w in outcome.waiting}) == 1, "together, at Maventa's Retry-After"
    assert all(stack.ledger(i) is None for i in ids)


async def test_a_company_netvisor_refuses_does_not_hold_up_another(stack: Inbound) -> None:
    refused, fine = await stack.company(), await stack.company()
    refused_ids = await stack.arrive(refused, "OPERATOR", count=2, number="REFUSED")
    fine_ids = await stack.arrive(fine, "OPERATOR", count=2, number="FINE")
    await stack.netvisor_faults(authentication_failed_organisations=[refused.business_id])
    try:
        outcome = await _import(stack, (refused, refused_ids), (fine, fine_ids))
    finally:
        await stack.netvisor_faults()
    assert outcome.imported == 2 and outcome.waiting == [], outcome
    assert (await _numbers(stack, fine))["FINE"] == 2
    assert await stack.in_netvisor(refused) == []
    states = await stack.queue_state()
    assert all(states[i] == "CREATED" for i in refused_ids), "left in Maventa's queue for a fix"


def _step_counts() -> dict[str, float]:
    return {
        step: REGISTRY.get_sample_value("maventa_import_step_duration_seconds_count", {"step": step}) or 0.0
        for step in STEPS
    }


async def test_every_step_of_an_invoices_import_is_timed(stack: Inbound) -> None:
    """The worker's `/metrics` say where an import's time went: each imported invoice once in every step of
    its turn (the document, the image and any attachment are downloads), the company once for its place."""
    company = await stack.company()
    invoices = await stack.arrive(company, "OPERATOR", count=3, number="TIMED")
    before = _step_counts()

    outcome = await _import(stack, (company, invoices))

    assert outcome.imported == 3, outcome
    grown = {step: n - before[step] for step, n in _step_counts().items() if n > before[step]}
    each_once = ("invoice", "maventa_reads_wait", "maventa_get", "parse", "ledger_begin", "netvisor_turn")
    assert {step: grown.get(step) for step in each_once} == dict.fromkeys(each_once, 3)
    after_turn = ("ledger_count", "netvisor_import", "ledger_imported", "maventa_handled")
    assert {step: grown.get(step) for step in after_turn} == dict.fromkeys(after_turn, 3)
    assert grown["maventa_download"] >= 6, "the document and the image, and any attachment"
    assert grown["company_place"] == 1
    assert grown["ledger_read"] == 4, "the company's rows once, then each invoice's at its turn"
    assert grown["store_thread"] == 4 + 3 * 3, "every store call: the reads, begin, count, imported"
