from datetime import UTC, datetime
from decimal import Decimal

import pytest

from store.billing_runs import UnknownBillingRunError, get_billing_run, mark_posted, start_billing_run
from store.database import Sessions, unit_of_work

POSTED = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)


def test_a_month_is_started_and_posted_once(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session:
        run = start_billing_run(session, "c1", "2026-06", Decimal("12.40"))
        assert (run.total, run.posted_at) == (Decimal("12.40"), None)
    with unit_of_work(sessions) as session:
        assert start_billing_run(session, "c1", "2026-06", Decimal("99.00")).total == Decimal("12.40")
        assert mark_posted(session, "c1", "2026-06", at=POSTED) is True
    with unit_of_work(sessions) as session:
        assert mark_posted(session, "c1", "2026-06") is False
        posted = get_billing_run(session, "c1", "2026-06")
        assert posted is not None and posted.posted_at == POSTED
        assert get_billing_run(session, "c1", "2026-05") is None


def test_posting_a_month_never_started_is_refused(sessions: Sessions) -> None:
    with unit_of_work(sessions) as session, pytest.raises(UnknownBillingRunError, match="2026-06"):
        mark_posted(session, "c1", "2026-06")
