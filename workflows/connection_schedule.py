"""When the connection workflow has work: what is due now, and when it wakes next (R1, R7).

Pure functions of the state and the clock, except that the Finnish calendar runs outside the sandbox's
restrictions (`on_the_finnish_calendar`).
"""

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TypeVar

from temporalio import workflow

from domain.banking_days import HELSINKI, bank_network_deadline, banking_day_on_or_after, helsinki_date
from workflows.connection_models import BankNetwork, ConnectionState
from workflows.connection_policy import WAITING_FOR_ACCOUNT, ConnectionStatus

ResultT = TypeVar("ResultT")


def on_the_finnish_calendar(compute: Callable[[], ResultT]) -> ResultT:
    """Run a banking-day computation outside the sandbox's restrictions.

    The holidays package imports a country's calendar lazily and reads the locale (for holiday names) when
    it builds a year; neither changes which days are holidays, so the result is deterministic.
    """
    with workflow.unsafe.imports_passed_through(), workflow.unsafe.sandbox_unrestricted():
        return compute()


def next_bank_check(after: datetime, every: timedelta, *, any_day: bool = False) -> datetime:
    """`every` later, or the start of the next Finnish banking day when that would not be a banking day."""
    candidate = after + every
    if any_day:
        return candidate
    day = helsinki_date(candidate)
    banking_day = on_the_finnish_calendar(lambda: banking_day_on_or_after(day))
    if banking_day != day:
        candidate = datetime.combine(banking_day, time(0), tzinfo=HELSINKI)
    return candidate.astimezone(UTC)


def bank_network_requested(requested_at: datetime, next_check_at: datetime, active: bool) -> BankNetwork:
    """R7: the deadline is the end of the 3rd Finnish banking day after the request day."""
    deadline = on_the_finnish_calendar(lambda: bank_network_deadline(requested_at)).astimezone(UTC)
    return BankNetwork(
        requested_at=requested_at,
        deadline=deadline,
        next_check_at=next_check_at,
        confirmed_at=requested_at if active else None,
    )


def wants_account(state: ConnectionState) -> bool:
    """The product allocates the connection to companies with the sales or the purchase module (R1), or to one
    whose user asked for it (R6)."""
    modules = state.company.modules
    return state.connection_requested or modules.sales or modules.purchases


def bank_check_due(state: ConnectionState, now: datetime) -> bool:
    next_check_at = state.bank_network.next_check_at
    return next_check_at is None or now >= next_check_at


def work_pending(state: ConnectionState, now: datetime) -> bool:
    """Whether the loop has a step to take (or is waiting for one to answer)."""
    if state.release is not None:
        return state.status != ConnectionStatus.RELEASED
    if state.status in WAITING_FOR_ACCOUNT:
        return wants_account(state)
    if state.status == ConnectionStatus.ACTIVE:
        return state.company.modules.purchases
    if state.status == ConnectionStatus.RECEIVING:
        return state.bank_network.confirmed_at is not None or bank_check_due(state, now)
    return False


def next_wake(state: ConnectionState, now: datetime) -> timedelta | None:
    """How long the loop rests without a message: until the next bank-network check or the deadline while
    receiving, otherwise until something happens (None, no timer: an idle company costs nothing). A check that
    fell due while a step or a write ran is made at once; a deadline counts only until it has passed, when
    support has been told."""
    if state.failure is not None or state.status != ConnectionStatus.RECEIVING:
        return None
    bank = state.bank_network
    due = [bank.next_check_at] if bank.next_check_at else []
    if bank.deadline and bank.deadline > now:
        due.append(bank.deadline)
    return max(min(due) - now, timedelta(seconds=1)) if due else None
