"""The next invoice's Maventa reads start when this one is taken, one invoice ahead and no further, and reads
nobody takes are cancelled when the company stops (activities/inbound_lookahead.py)."""

import asyncio

import pytest

from activities.inbound_lookahead import Lookahead


class Reads:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.cancelled: list[str] = []
        self.release: dict[str, asyncio.Event] = {}

    async def read(self, invoice_id: str) -> str:
        self.started.append(invoice_id)
        gate = self.release.setdefault(invoice_id, asyncio.Event())
        try:
            await gate.wait()
        except asyncio.CancelledError:
            self.cancelled.append(invoice_id)
            raise
        if invoice_id == "bad":
            raise LookupError(invoice_id)
        return f"read {invoice_id}"

    def done(self, *invoice_ids: str) -> None:
        for invoice_id in invoice_ids:
            self.release.setdefault(invoice_id, asyncio.Event()).set()


async def test_the_next_invoice_is_read_while_this_one_is_taken_and_no_further() -> None:
    reads = Reads()
    reads.done("a", "b", "c")
    async with Lookahead[str]() as ahead:
        ahead.plan(["a", "b", "c"], reads.read)
        assert await ahead.take("a") == "read a"
        await asyncio.sleep(0)
        assert reads.started == ["a", "b"], "b should be read while a is handled, c not yet"
        assert await ahead.take("b") == "read b"
        await asyncio.sleep(0)
        assert reads.started == ["a", "b", "c"]
        assert await ahead.take("c") == "read c"
    assert reads.started == ["a", "b", "c"], "each invoice is read once"


async def test_a_failed_read_fails_when_its_invoice_is_taken() -> None:
    reads = Reads()
    reads.done("a", "bad")
    async with Lookahead[str]() as ahead:
        ahead.plan(["a", "bad"], reads.read)
        assert await ahead.take("a") == "read a"
        with pytest.raises(LookupError):
            await ahead.take("bad")


async def test_reads_nobody_takes_are_cancelled_when_the_company_stops() -> None:
    reads = Reads()
    reads.done("a")
    async with Lookahead[str]() as ahead:
        ahead.plan(["a", "b", "c"], reads.read)
        await ahead.take("a")
        await asyncio.sleep(0)
    assert reads.cancelled == ["b"]
    assert reads.started == ["a", "b"]


async def test_an_invoice_out_of_the_plan_is_read_when_taken() -> None:
    reads = Reads()
    reads.done("x")
    async with Lookahead[str]() as ahead:
        ahead.plan([], reads.read)
        assert await ahead.take("x") == "read x"
    assert reads.started == ["x"]
