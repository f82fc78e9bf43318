"""Import modes (R10, R12) at their boundaries, and states that import nothing (R13, R14)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.clock import wall_clock
from tests.inbound.harness import Inbound, Receiver, eventually

HELSINKI = ZoneInfo("Europe/Helsinki")


async def _settled(stack: Inbound, invoice_ids: list[str]) -> bool:
    states = await stack.queue_state()
    return all(states.get(i) == "HANDLED" for i in invoice_ids)


async def _run_round(stack: Inbound, company: Receiver, arrivals: dict[str, datetime]) -> dict[str, str]:
    """Label -> invoice id, after the sweep has handled every arrival."""
    ids = {}
    async with stack.worker():
        await stack.start()
        for label, received_at in arrivals.items():
            [ids[label]] = await stack.arrive(company, "OPERATOR", received_at=received_at, number=label)
        await stack.wake()
        assert await eventually(lambda: _settled(stack, list(ids.values())))
    return ids


async def _numbers_in_netvisor(stack: Inbound, company: Receiver) -> set[str]:
    return {row["invoice_number"] for row in await stack.in_netvisor(company)}


async def test_now_imports_from_the_moment_of_choosing(stack: Inbound) -> None:
    """Maventa gives times in whole seconds: an invoice of the second "now" was chosen in is imported,
    although that second began before the chosen moment."""
    chosen = datetime(2026, 3, 2, 10, 15, 30, 700000, tzinfo=UTC)
    second = chosen.replace(microsecond=0)
    company = await stack.company(mode="now", import_from=chosen)
    ids = await _run_round(
        stack,
        company,
        {
            "BEFORE": second - timedelta(seconds=1),
            "SAME-SECOND": second,
            "AFTER": second + timedelta(seconds=1),
        },
    )
    assert await _numbers_in_netvisor(stack, company) == {"SAME-SECOND", "AFTER"}
    assert stack.ledger(ids["BEFORE"]) is None, "left for manual transfer, not quarantined or imported"


async def test_from_date_imports_from_that_day_in_finland(stack: Inbound) -> None:
    first_day = datetime(2026, 2, 1, tzinfo=HELSINKI)
    company = await stack.company(mode="from_date", import_from=first_day.astimezone(UTC))
    ids = await _run_round(
        stack,
        company,
        {
            "LAST-EVENING": first_day - timedelta(seconds=1),
            "MIDNIGHT": first_day,
            "LATER": first_day + timedelta(days=20),
        },
    )
    assert await _numbers_in_netvisor(stack, company) == {"MIDNIGHT", "LATER"}
    assert stack.ledger(ids["LAST-EVENING"]) is None


async def test_off_imports_nothing_but_acknowledges(stack: Inbound) -> None:
    company = await stack.company(mode="off")
    ids = await _run_round(stack, company, {"OFF-1": wall_clock(), "OFF-2": wall_clock()})
    assert await stack.in_netvisor(company) == []
    assert all(stack.ledger(i) is None for i in ids.values())


@pytest.mark.parametrize("state", ["SEND_ONLY", "NOT_LINKED", "ACTIVE", "RELEASED"])
async def test_companies_not_receiving_through_netvisor_import_nothing(stack: Inbound, state: str) -> None:
    company = await stack.company(state=state, mode="now")
    await _run_round(stack, company, {f"{state}-1": wall_clock()})
    assert await stack.in_netvisor(company) == []


async def test_a_step_failed_for_good_does_not_stop_import_while_receiving_is_open(stack: Inbound) -> None:
    """E.g. Netvisor refused the invoicing addresses: support sees NEEDS_SUPPORT, receiving stays open."""
    company = await stack.company(state="RECEIVING", shown_state="NEEDS_SUPPORT", mode="now")
    ids = await _run_round(stack, company, {"STUCK-1": wall_clock()})
    assert await _numbers_in_netvisor(stack, company) == {"STUCK-1"}
    assert stack.ledger(ids["STUCK-1"]) is not None


async def test_a_not_linked_company_shown_as_needs_support_still_imports_nothing(stack: Inbound) -> None:
    """E.g. its release failed: NEEDS_SUPPORT is shown, but nothing was ever received through Netvisor."""
    company = await stack.company(state="NOT_LINKED", shown_state="NEEDS_SUPPORT", mode="now")
    ids = await _run_round(stack, company, {"DECLINED-1": wall_clock()})
    assert await stack.in_netvisor(company) == []
    assert stack.ledger(ids["DECLINED-1"]) is None
