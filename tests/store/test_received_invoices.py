from datetime import UTC, datetime, timedelta

import pytest

from store.database import Sessions, unit_of_work
from store.ledger import RECEIVED_EINVOICE, RECEIVED_SCANNED_INVOICE, count_by_kind
from store.received_invoices import (
    IMPORTED,
    IMPORTING,
    QUARANTINED,
    Attempt,
    ReceivedInvoice,
    UnknownReceivedInvoiceError,
    begin_import,
    count_attempt,
    forget_transaction,
    get_received_invoice,
    in_netvisor,
    list_quarantined,
    mark_imported,
    note_uncertain_answer,
    quarantine,
    release_from_quarantine,
    take_back_attempt,
)

RECEIVED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
IMPORT_TIME = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)
RESEND_FOR = timedelta(minutes=5)


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


def _count(
    sessions: Sessions, invoice_id: str, seen: int | None, resend_for: timedelta = RESEND_FOR
) -> Attempt | None:
    with unit_of_work(sessions) as session:
        return count_attempt(session, invoice_id, seen=seen, resend_for=resend_for)


def _row(sessions: Sessions, invoice_id: str) -> ReceivedInvoice:
    with unit_of_work(sessions) as session:
        row = get_received_invoice(session, invoice_id)
        assert row is not None
        session.expunge(row)
        return row


def test_only_a_counted_attempt_shows_a_request_may_have_gone(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    _begin(sessions, "m-1")
    assert _row(sessions, "m-1").attempts == 0, "recorded, nothing sent yet: nothing to wait for"
    first = _count(sessions, "m-1", seen=0)
    assert first is not None and first.counted == 1
    row = _row(sessions, "m-1")
    assert (row.attempts, row.transaction_id) == (1, first.transaction_id)


def test_a_later_attempt_sends_the_same_request_while_its_id_is_fresh(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    first = _count(sessions, "m-1", seen=0)
    again = _count(sessions, "m-1", seen=0)
    assert first is not None and again is not None
    assert again.transaction_id == first.transaction_id, "the same TransactionId: Netvisor takes it once"
    assert again.counted == 2


def test_a_stale_id_is_not_sent_again_and_a_new_one_needs_the_count_looked_up(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    first = _count(sessions, "m-1", seen=0, resend_for=timedelta(0))
    assert first is not None
    assert _count(sessions, "m-1", seen=0, resend_for=timedelta(0)) is None, (
        "another attempt counted since this one looked: it sends nothing"
    )
    looked_up = _count(sessions, "m-1", seen=1, resend_for=timedelta(0))
    assert looked_up is not None and looked_up.transaction_id != first.transaction_id
    assert looked_up.counted == 2


def test_a_resend_whose_id_went_stale_sends_nothing_until_the_invoice_is_looked_up(
    sessions: Sessions,
) -> None:
    """An attempt that decided to send the earlier request again, and whose id went stale before its turn (a
    slow Maventa read, a long wait for the Netvisor turn), must not send a new request in its place: the
    earlier one may have been imported, and only Netvisor's list can tell (a recovery run imported one
    invoice twice so)."""
    _begin(sessions, "m-1")
    first = _count(sessions, "m-1", seen=0)
    assert first is not None
    resent = _count(sessions, "m-1", seen=None)
    assert resent is not None and resent.transaction_id == first.transaction_id, "fresh: the same request"
    assert _count(sessions, "m-1", seen=None, resend_for=timedelta(0)) is None, "stale: nothing is sent"
    row = _row(sessions, "m-1")
    assert (row.attempts, row.transaction_id) == (2, first.transaction_id), "the ledger is as it was"
    looked_up = _count(sessions, "m-1", seen=2, resend_for=timedelta(0))
    assert looked_up is not None and looked_up.transaction_id != first.transaction_id


def test_an_id_netvisor_has_seen_is_forgotten_and_the_count_stays(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    first = _count(sessions, "m-1", seen=0)
    resent = _count(sessions, "m-1", seen=0)
    assert first is not None and resent is not None
    with unit_of_work(sessions) as session:
        assert forget_transaction(session, "m-1", counted=1) is False, "a later attempt's id is left alone"
        assert forget_transaction(session, "m-1", counted=2) is True
    row = _row(sessions, "m-1")
    assert (row.attempts, row.transaction_id) == (2, None), "looked up before anything is sent anew"
    assert _count(sessions, "m-1", seen=0) is None
    fresh = _count(sessions, "m-1", seen=2)
    assert fresh is not None and fresh.transaction_id != first.transaction_id


def test_an_uncertain_answer_moves_the_recheck_to_when_it_came(sessions: Sessions) -> None:
    """A request that timed out may have been taken at any moment until then: the look-up waits from then."""
    _begin(sessions, "m-1")
    first = _count(sessions, "m-1", seen=0)
    assert first is not None
    sent = _row(sessions, "m-1").updated_at
    with unit_of_work(sessions) as session:
        assert note_uncertain_answer(session, "m-1", counted=1) is True
    answered = _row(sessions, "m-1")
    assert answered.updated_at > sent and answered.attempts == 1
    later = _count(sessions, "m-1", seen=1)
    assert later is not None
    with unit_of_work(sessions) as session:
        assert note_uncertain_answer(session, "m-1", counted=1) is False, "a later attempt's time is its own"


def test_an_attempt_that_sent_nothing_is_taken_back_to_what_was_before(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    first = _count(sessions, "m-1", seen=0)
    assert first is not None
    with unit_of_work(sessions) as session:
        assert take_back_attempt(session, "m-1", first) is True
    row = _row(sessions, "m-1")
    assert (row.attempts, row.transaction_id) == (0, None), "a first attempt taken back: nothing to wait for"

    earlier = _count(sessions, "m-1", seen=0)
    assert earlier is not None
    before = _row(sessions, "m-1")
    resent = _count(sessions, "m-1", seen=0)
    assert resent is not None
    with unit_of_work(sessions) as session:
        assert take_back_attempt(session, "m-1", resent) is True
    row = _row(sessions, "m-1")
    assert (row.attempts, row.updated_at) == (1, before.updated_at), "the earlier uncertain attempt stays"
    assert row.transaction_id == earlier.transaction_id, "its request still to be sent again"


def test_only_the_attempt_that_counted_is_taken_back(sessions: Sessions) -> None:
    _begin(sessions, "m-1")
    first = _count(sessions, "m-1", seen=0)
    later = _count(sessions, "m-1", seen=0)  # another attempt since
    assert first is not None and later is not None
    with unit_of_work(sessions) as session:
        assert take_back_attempt(session, "m-1", first) is False
        mark_imported(session, "m-1", "nv-1", at=IMPORT_TIME)
    with unit_of_work(sessions) as session:
        assert take_back_attempt(session, "m-1", later) is False
    assert _row(sessions, "m-1").attempts == 2
    assert _count(sessions, "m-1", seen=2) is None, "an imported invoice is not sent"


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
        assert begin_import(session, "c1", "m-bad", channel="OPERATOR", received_at=RECEIVED).attempts == 0


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
