"""A received document is read on the parsing pool, never on the worker's event loop, and a read that
overruns or breaks ends in a reason for the quarantine, not in a failed activity."""

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from activities import document_reading
from domain.finvoice import ReceivedInvoice, UnparsableInvoice, parse_invoice

SAMPLE = Path(__file__).resolve().parents[1] / "corpus" / "gobl-fi-finvoice" / "invoice.xml"


async def test_the_document_is_parsed_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []

    def recording(document: bytes) -> ReceivedInvoice:
        threads.append(threading.get_ident())
        return parse_invoice(document)

    monkeypatch.setattr(document_reading, "parse_invoice", recording)
    invoice = await document_reading.read_received_document(SAMPLE.read_bytes())
    assert invoice.number == "2026-1001"
    assert threads and threads[0] != threading.get_ident()


@pytest.fixture
def stuck_parser(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    release = threading.Event()

    def stuck(document: bytes) -> ReceivedInvoice:
        release.wait(10)
        raise UnparsableInvoice("released")

    monkeypatch.setattr(document_reading, "parse_invoice", stuck)
    monkeypatch.setattr(document_reading, "MAX_PARSE_SECONDS", 0.05)
    monkeypatch.setattr(document_reading, "WAIT_MARGIN_SECONDS", 0.05)
    yield release
    release.set()


async def test_a_stuck_read_is_given_up_and_the_loop_keeps_running(stuck_parser: threading.Event) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    running = asyncio.create_task(ticker())
    with pytest.raises(UnparsableInvoice, match="took longer than"):
        await document_reading.read_received_document(b"<Finvoice/>")
    running.cancel()
    assert ticks > 1, "the event loop went on while the document was being read"


async def test_a_parser_bug_becomes_a_quarantine_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(document: bytes) -> ReceivedInvoice:
        raise KeyError("surprise")

    monkeypatch.setattr(document_reading, "parse_invoice", broken)
    with pytest.raises(UnparsableInvoice, match="KeyError"):
        await document_reading.read_received_document(b"<Finvoice/>")
