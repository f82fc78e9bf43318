from datetime import UTC, datetime

import pytest

from store.database import Sessions, unit_of_work
from store.ledger import RECEIVED_EINVOICE, RECEIVED_SCANNED_INVOICE, count_by_kind
from store.received_invoices import (
    IMPORTED,
    IMPORTING,
    QUARANTINED,
    ReceivedInvoice,
    UnknownReceivedInvoiceError,
    begin_import,
    get_received_invoice,
    in_netvisor,
    list_quarantined,
    mark_imported,
    quarantine,
    release_from_quarantine,
    take_back_attempt,
)

RECEIVED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
IMPORT_TIME = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)


def _begin(sessions: Sessions, invoice_id: str, channel: str = "OPERATOR") -> str:
    with unit_of_work(sessions) as session:
        return begin_import(
            session, "c1", invoice_id, channel=channel, received_at=RECEIVED, number="INV-1"
        ).status


def test_import_is_recorded_and_billed_once(sessions: Sessions) -> None:
    assert _begin(sessions, "m-1") == IMPORTING
    with unit_of_work(sessions) as session:
        assert mark_imported(session, "m-1", "nv-77", at=IMPORT_TIME) is True
    with unit_of_work(sessions) as session:
        assert mark_imported(session, "m-1", "nv-77", at=IMPORT_TIME) is False
        assert begin_import(session, "c1", "m-1", channel="OPERATOR", received_at=RECEIVED).status == IMPORTED
        invoice = get_received_invoice(session, "m-1")
        assert invoice is not None
        assert (invoice.netvisor_key, invoice.received_at) == ("nv-77", RECEIVED)
        assert count_by_kind(session, "c1", "2026-03") == {RECEIVED_EINVOICE: 1}


def test_scanned_invoices_are_billed_as_scanned(sessions: Sessions) -> None:
    _begin(sessions, "m-scan", channel="SCAN")
    with unit_of_work(sessions) as session:
        mark_imported(session, "m-scan", "nv-1", at=IMPORT_TIME)
        assert count_by_kind(session, "c1", "2026-03") == {RECEIVED_SCANNED_INVOICE: 1}


def test_repeated_begin_counts_attempts_so_uncertain_outcomes_show(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    _begin(sessions, "m-1")
    with unit_of_work(sessions) as session:
        invoice = get_received_invoice(session, "m-1")
        assert invoice is not None and invoice.attempts == 2


def _row(sessions: Sessions, invoice_id: str) -> ReceivedInvoice:
    with unit_of_work(sessions) as session:
        row = get_received_invoice(session, invoice_id)
        assert row is not None
        session.expunge(row)
        return row


def test_an_attempt_that_sent_nothing_is_taken_back_to_what_was_before(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    with unit_of_work(sessions) as session:
        assert take_back_attempt(session, "m-1", counted=1, before=None) is True
    assert _row(sessions, "m-1").attempts == 0, "a first attempt taken back: nothing to look up or wait for"

    _begin(sessions, "m-1")
    earlier = _row(sessions, "m-1")
    _begin(sessions, "m-1")
    with unit_of_work(sessions) as session:
        assert take_back_attempt(session, "m-1", counted=2, before=earlier) is True
    row = _row(sessions, "m-1")
    assert (row.attempts, row.updated_at) == (1, earlier.updated_at), "the earlier uncertain attempt stays"


def test_only_the_attempt_that_counted_is_taken_back(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    _begin(sessions, "m-1")  # another attempt since
    with unit_of_work(sessions) as session:
        assert take_back_attempt(session, "m-1", counted=1, before=None) is False
        mark_imported(session, "m-1", "nv-1", at=IMPORT_TIME)
    with unit_of_work(sessions) as session:
        assert take_back_attempt(session, "m-1", counted=2, before=None) is False
    assert _row(sessions, "m-1").attempts == 2


def test_failed_import_rolls_back_with_its_transaction(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
        mark_imported(session, "m-1", "nv-1", at=IMPORT_TIME)
        raise RuntimeError("the activity failed before commit")
    with unit_of_work(sessions) as session:
        invoice = get_received_invoice(session, "m-1")
        assert invoice is not None and invoice.status == IMPORTING
        assert count_by_kind(session, "c1", "2026-03") == {}


def test_quarantine_and_support_release(sessions: Sessions) -> None:
    _begin(sessions, "m-bad")
    with unit_of_work(sessions) as session:
        assert quarantine(session, "m-bad", "Finvoice could not be parsed: line 3") is True
        assert quarantine(session, "m-bad", "again") is False
    with unit_of_work(sessions) as session:
        listed = list_quarantined(session, company_id="c1")
        assert [(i.maventa_invoice_id, i.quarantine_reason) for i in listed] == [
            ("m-bad", "Finvoice could not be parsed: line 3")
        ]
        assert (
            begin_import(session, "c1", "m-bad", channel="OPERATOR", received_at=RECEIVED).status
            == QUARANTINED
        )

    with unit_of_work(sessions) as session:
        assert release_from_quarantine(session, "m-bad") is True
        assert release_from_quarantine(session, "m-bad") is False
    with unit_of_work(sessions) as session:
        assert list_quarantined(session) == []
        assert begin_import(session, "c1", "m-bad", channel="OPERATOR", received_at=RECEIVED).attempts == 1


def test_an_imported_invoice_is_never_quarantined(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    with unit_of_work(sessions) as session:
        mark_imported(session, "m-1", "nv-1")
        assert quarantine(session, "m-1", "late rejection") is False
        assert release_from_quarantine(session, "m-1") is False
        invoice = get_received_invoice(session, "m-1")
        assert invoice is not None and invoice.status == IMPORTED


def test_in_netvisor_names_only_imported_invoices(sessions: Sessions) -> None:
    for invoice_id in ["m-1", "m-2", "m-3"]:
        _begin(sessions, invoice_id)
    with unit_of_work(sessions) as session:
        mark_imported(session, "m-1", "nv-1")
        quarantine(session, "m-3", "rejected")
    many = [f"unknown-{n}" for n in range(1200)]
    with unit_of_work(sessions) as session:
        assert in_netvisor(session, ["m-1", "m-2", "m-3", "m-9", *many]) == {"m-1"}
        assert in_netvisor(session, []) == set()


def test_transitions_of_an_unknown_invoice_say_so(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session, pytest.raises(UnknownReceivedInvoiceError, match="m-404"):
        mark_imported(session, "m-404", "nv-1")
