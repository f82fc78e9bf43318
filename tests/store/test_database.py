import threading
from datetime import UTC, datetime

from store.database import Sessions, reading, unit_of_work
from store.received_invoices import IMPORTED, begin_import, get_received_invoice, mark_imported

RECEIVED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _begin(sessions: Sessions, invoice_id: str) -> None:
    with unit_of_work(sessions) as session:
        begin_import(session, "c1", invoice_id, channel="OPERATOR", received_at=RECEIVED)


def test_a_reader_sees_the_last_commit_while_a_writer_holds_its_transaction(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    seen: list[str | None] = []

    def read() -> None:
        with reading(sessions) as session:
            row = get_received_invoice(session, "m-1")
            seen.append(row.status if row else None)

    with unit_of_work(sessions) as session:
        mark_imported(session, "m-1", "nv-1")
        session.flush()
        reader = threading.Thread(target=read)
        reader.start()
        # A reader that waited for the write lock would still be waiting when the writer commits.
        reader.join(timeout=5)
        assert not reader.is_alive(), "the read waited for the writer"
    assert seen == ["importing"]
    with reading(sessions) as session:
        row = get_received_invoice(session, "m-1")
        assert row is not None and row.status == IMPORTED


def test_nothing_written_in_a_read_is_kept(sessions: Sessions) -> None:
    with reading(sessions) as session:
        begin_import(session, "c1", "m-2", channel="OPERATOR", received_at=RECEIVED)
        session.flush()
    with reading(sessions) as session:
        assert get_received_invoice(session, "m-2") is None


def test_a_write_after_a_read_is_not_refused(sessions: Sessions) -> None:
    """Readers and writers take turns on one pool: a connection used for reading is fit to write next."""
    for number in range(5):
        with reading(sessions) as session:
            get_received_invoice(session, f"m-{number}")
        _begin(sessions, f"m-{number}")
    with reading(sessions) as session:
        assert all(get_received_invoice(session, f"m-{n}") is not None for n in range(5))
