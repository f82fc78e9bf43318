"""Exactly once under failure: Netvisor dropping answers or failing, and a worker lost mid-batch."""

import asyncio
from collections import Counter

from tests.inbound.harness import Inbound, Receiver, eventually


async def _all_handled(stack: Inbound, invoice_ids: list[str]) -> bool:
    states = await stack.queue_state()
    return all(states.get(i) == "HANDLED" for i in invoice_ids)


async def _numbers(stack: Inbound, company: Receiver) -> Counter[str]:
    return Counter(row["invoice_number"] for row in await stack.in_netvisor(company))


async def test_dropped_answers_never_make_a_second_invoice(stack: Inbound) -> None:
    """Netvisor commits and then closes the connection: the same request sent again is refused as used, and
    the next attempt finds the invoice instead of sending it anew."""
    company = await stack.company()
    await stack.netvisor_faults(drop_response_rate=0.3)
    async with stack.worker():
        await stack.start()
        ids = await stack.arrive(company, "OPERATOR", count=12, number="DROP")
        await stack.wake()
        assert await eventually(lambda: _all_handled(stack, ids), timeout_s=40)
        deferred = (await stack.status()).totals.deferred
    numbers = await _numbers(stack, company)
    assert set(numbers.values()) == {1} and len(numbers) == 12, numbers
    assert all(stack.ledger(i).status == "imported" for i in ids)  # type: ignore[union-attr]
    assert deferred, "with a third of the answers dropped, some invoices must have needed a second attempt"


async def test_server_errors_are_retried_without_duplicates(stack: Inbound) -> None:
    company = await stack.company()
    await stack.netvisor_faults(error_rate=0.25, status=503)
    async with stack.worker():
        await stack.start()
        ids = await stack.arrive(company, "BANK", count=6, number="FIVEXX")
        await stack.wake()
        assert await eventually(lambda: _all_handled(stack, ids), timeout_s=40)
    numbers = await _numbers(stack, company)
    assert set(numbers.values()) == {1} and len(numbers) == 6, numbers


async def test_a_worker_lost_mid_batch_loses_and_doubles_nothing(stack: Inbound) -> None:
    """Netvisor is slow, the worker goes away after a few imports; another worker finishes the batch."""
    company = await stack.company()
    await stack.netvisor_faults(latency_ms=150)
    ids = await stack.arrive(company, "OPERATOR", count=20, number="RESTART")
    first = stack.worker()
    await first.__aenter__()
    await stack.start()
    await eventually(lambda: _count_at_least(stack, company, 4), timeout_s=20, every_s=0.05)
    await asyncio.wait_for(first.shutdown(), timeout=10)
    part = sum((await _numbers(stack, company)).values())
    assert part < 20, "the worker should stop in the middle of the batch"
    await stack.netvisor_faults()
    async with stack.worker():
        assert await eventually(lambda: _all_handled(stack, ids), timeout_s=40)
    numbers = await _numbers(stack, company)
    assert set(numbers.values()) == {1} and len(numbers) == 20, numbers


async def _count_at_least(stack: Inbound, company: Receiver, count: int) -> bool:
    return sum((await _numbers(stack, company)).values()) >= count
