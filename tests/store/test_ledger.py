from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from store.database import Sessions, unit_of_work
from store.ledger import (
    RECEIVED_EINVOICE,
    SENT_EINVOICE,
    billing_month,
    companies_with_transactions,
    count_by_kind,
    record_transaction,
)

MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_recording_the_same_transaction_again_counts_once(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        assert record_transaction(session, "c1", RECEIVED_EINVOICE, "inv-1", MARCH) is True
    with unit_of_work(sessions) as session:
        assert record_transaction(session, "c1", RECEIVED_EINVOICE, "inv-1", MARCH) is False
        assert record_transaction(session, "c1", SENT_EINVOICE, "inv-1", MARCH) is True
        assert record_transaction(session, "c1", RECEIVED_EINVOICE, "inv-2", MARCH) is True
    with unit_of_work(sessions) as session:
        assert count_by_kind(session, "c1", "2026-03") == {RECEIVED_EINVOICE: 2, SENT_EINVOICE: 1}
        assert count_by_kind(session, "c1", "2026-04") == {}
        assert count_by_kind(session, "c2", "2026-03") == {}


def test_concurrent_recording_of_one_transaction_leaves_one_row(sessions: Sessions) -> None:
    def record_many() -> int:
        new = 0
        for _ in range(50):
            with unit_of_work(sessions) as session:
                new += record_transaction(session, "c1", RECEIVED_EINVOICE, "inv-race", MARCH)
        return new

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [future.result() for future in [pool.submit(record_many), pool.submit(record_many)]]

    assert sum(results) == 1
    with unit_of_work(sessions) as session:
        assert count_by_kind(session, "c1", "2026-03") == {RECEIVED_EINVOICE: 1}


def test_month_is_the_finnish_calendar_month() -> None:
    assert billing_month(datetime(2026, 3, 31, 21, 30, tzinfo=UTC)) == "2026-04"
    assert billing_month(datetime(2026, 3, 31, 20, 59, tzinfo=UTC)) == "2026-03"


def test_companies_with_transactions_pages_through_a_month(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        for company in ["c3", "c1", "c2"]:
            record_transaction(session, company, RECEIVED_EINVOICE, f"{company}-a", MARCH)
            record_transaction(session, company, RECEIVED_EINVOICE, f"{company}-b", MARCH)
        record_transaction(session, "c9", RECEIVED_EINVOICE, "c9-a", datetime(2026, 4, 2, tzinfo=UTC))
    with unit_of_work(sessions) as session:
        assert companies_with_transactions(session, "2026-03", limit=2) == ["c1", "c2"]
        assert companies_with_transactions(session, "2026-03", after="c2", limit=2) == ["c3"]
