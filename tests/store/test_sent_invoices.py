from datetime import UTC, datetime

import pytest

from store.database import Sessions, unit_of_work
from store.ledger import SENT_EINVOICE, count_by_kind
from store.sent_invoices import (
    PENDING,
    SUBMITTED,
    UnknownSentInvoiceError,
    find_by_maventa_invoice_id,
    get_sent_invoice,
    mark_uploaded,
    recent_sent_invoices,
    record_status,
    register_sent_invoice,
)

UPLOADED = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def test_upload_is_billed_once_and_history_grows_on_changes_only(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        assert register_sent_invoice(session, "c1", "SI-1", "uuid-1").status == SUBMITTED
        assert register_sent_invoice(session, "c1", "SI-1", "uuid-other").uuid == "uuid-1"
    with unit_of_work(sessions) as session:
        assert mark_uploaded(session, "c1", "SI-1", "mv-1", at=UPLOADED) is True
    with unit_of_work(sessions) as session:
        assert mark_uploaded(session, "c1", "SI-1", "mv-1", at=UPLOADED) is False
        assert record_status(session, "c1", "SI-1", "DELIVERED", detail="operator 003721291126") is True
        assert record_status(session, "c1", "SI-1", "DELIVERED") is False

    with unit_of_work(sessions) as session:
        invoice = get_sent_invoice(session, "c1", "SI-1")
        assert invoice is not None
        assert [entry["status"] for entry in invoice.history] == [SUBMITTED, PENDING, "DELIVERED"]
        assert invoice.history[-1]["detail"] == "operator 003721291126"
        found = find_by_maventa_invoice_id(session, "mv-1")
        assert found is not None and found.invoice_key == "SI-1"
        assert count_by_kind(session, "c1", "2026-06") == {SENT_EINVOICE: 1}


def test_the_same_invoice_key_in_two_companies_is_two_invoices(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        register_sent_invoice(session, "c1", "SI-1", "uuid-1")
        register_sent_invoice(session, "c2", "SI-1", "uuid-2")
        mark_uploaded(session, "c1", "SI-1", "mv-1", at=UPLOADED)
        mark_uploaded(session, "c2", "SI-1", "mv-2", at=UPLOADED)
        assert count_by_kind(session, "c1", "2026-06") == {SENT_EINVOICE: 1}
        assert count_by_kind(session, "c2", "2026-06") == {SENT_EINVOICE: 1}


def test_an_unregistered_invoice_is_refused(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session, pytest.raises(UnknownSentInvoiceError):
        mark_uploaded(session, "c1", "SI-404", "mv-1")


def test_recent_sent_invoices_are_the_companys_newest_first(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        for number in range(1, 5):
            register_sent_invoice(session, "c1", f"key-{number}", f"uuid-{number}")
        register_sent_invoice(session, "c2", "key-other", "uuid-other")

    with unit_of_work(sessions) as session:
        recent = [row.invoice_key for row in recent_sent_invoices(session, "c1", limit=3)]

    assert recent == ["key-4", "key-3", "key-2"]
