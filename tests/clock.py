"""The one place tests read a clock and find calendar days, so no test names a date the calendar will pass.

Workflow tests ask the time-skipping server for its time (`server_time`) and move it forward to the next day
that fits (`skip_to`); tests against the real dev server ask `wall_clock()`. Days are found with the project's
own banking-day calendar (domain/banking_days.py); what a test then expects is written in plain weekday
arithmetic, so a calendar bug cannot hide behind the same calendar. Pure-domain tests do not use this module:
they take pinned historic dates as arguments and never read a clock.

`CLOCK_STARTS` are the moments a `calendar`-marked test is also run from (tests/conftest.py): a year and three
years ahead, the last evening of a month and the day before Christmas, so a test that works today but not on
some other day fails today.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil.easter import easter

from domain.banking_days import HELSINKI, helsinki_date, is_banking_day
from store.ledger import billing_month

SEARCH_DAYS = 366 * 12
"""How far a situation is looked for: every one below recurs well within a dozen years."""

FRIDAY = 4


def wall_clock() -> datetime:
    """Now, for tests on the real dev server and sandboxes (which run on real time)."""
    return datetime.now(UTC)


async def server_time(env: Any) -> datetime:
    """The time-skipping test server's now."""
    now: datetime = await env.get_current_time()
    return now


async def skip_to(env: Any, at: datetime) -> None:
    """Move the time-skipping server's clock forward to `at`."""
    now = await server_time(env)
    assert at > now, f"cannot go back in time from {now} to {at}"
    await env.sleep(at - now)


def at_hour(day: date, hour: int, minute: int = 0) -> datetime:
    """`day` at hh:mm in Helsinki."""
    return datetime.combine(day, time(hour, minute), tzinfo=HELSINKI)


def next_day(after: datetime, fits: Callable[[date], bool], *, hour: int = 10, minute: int = 0) -> datetime:
    """The first hh:mm in Helsinki strictly after `after` on a day that fits."""
    day = helsinki_date(after)
    for _ in range(SEARCH_DAYS):
        if fits(day) and at_hour(day, hour, minute) > after:
            return at_hour(day, hour, minute)
        day += timedelta(days=1)
    raise AssertionError(f"no such day within {SEARCH_DAYS} days after {after.isoformat()}")


def any_day(after: datetime, *, hour: int = 10) -> datetime:
    return next_day(after, lambda day: True, hour=hour)


def banking_day(after: datetime, *, hour: int = 10) -> datetime:
    return next_day(after, is_banking_day, hour=hour)


def weekdays_after(day: date, count: int) -> date:
    """The `count`-th Monday-to-Friday day after `day`: plain weekday arithmetic, holidays not considered."""
    for _ in range(count):
        day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
    return day


def banking_weekdays_follow(day: date, count: int) -> bool:
    """Whether the `count` weekdays after `day` are all banking days (a week without holidays)."""
    return all(is_banking_day(weekdays_after(day, n)) for n in range(1, count + 1))


def friday_before_a_normal_week(after: datetime, *, hour: int = 10) -> datetime:
    """A banking-day Friday followed by a Monday to Thursday that are banking days too."""

    def fits(day: date) -> bool:
        return day.weekday() == FRIDAY and is_banking_day(day) and banking_weekdays_follow(day, 4)

    return next_day(after, fits, hour=hour)


def friday_before_a_monday_holiday(after: datetime, *, hour: int = 10) -> datetime:
    """A banking-day Friday whose Monday is a holiday (New Year, Epiphany, May Day, Independence Day ...) and
    whose Tuesday to Thursday are banking days."""

    def fits(day: date) -> bool:
        monday = day + timedelta(days=3)
        return (
            day.weekday() == FRIDAY
            and is_banking_day(day)
            and not is_banking_day(monday)
            and banking_weekdays_follow(monday, 3)
        )

    return next_day(after, fits, hour=hour)


def day_before_christmas_eve(after: datetime, *, hour: int = 10) -> datetime:
    """23 December that is a banking day (Monday to Friday)."""
    return next_day(after, lambda day: (day.month, day.day) == (12, 23) and day.weekday() < 5, hour=hour)


def midsummer_eve(after: datetime, *, hour: int = 10) -> datetime:
    """Midsummer Eve: by law the Friday between 19 and 25 June."""
    return next_day(
        after, lambda day: day.month == 6 and 19 <= day.day <= 25 and day.weekday() == FRIDAY, hour=hour
    )


def maundy_thursday(after: datetime, *, hour: int = 10) -> datetime:
    """The Thursday before Easter (Good Friday and Easter Monday follow it)."""
    return next_day(after, lambda day: day == easter(day.year) - timedelta(days=3), hour=hour)


def last_banking_day_of_a_month(after: datetime, *, hour: int = 10) -> datetime:
    """A month's last banking day, followed by three banking weekdays in the next month."""

    def fits(day: date) -> bool:
        later = day + timedelta(days=1)
        while later.month == day.month and not is_banking_day(later):
            later += timedelta(days=1)
        return is_banking_day(day) and later.month != day.month and banking_weekdays_follow(day, 3)

    return next_day(after, fits, hour=hour)


def end_of(day: date) -> datetime:
    """When a Finnish day ends: 00:00 in Helsinki of the next one."""
    return at_hour(day + timedelta(days=1), 0)


async def away_from_a_month_end() -> datetime:
    """Now, on the wall clock, at least two minutes before a Finnish month ends (it waits when closer).

    Billing counts by the Finnish calendar month: a test that acts and then expects a month must not straddle
    the moment one month becomes the next.
    """
    now = wall_clock()
    month_end = at_hour(_first_of_next_month(helsinki_date(now)), 0)
    if month_end - now < timedelta(minutes=2):
        await asyncio.sleep((month_end - now).total_seconds() + 1)
    return wall_clock()


async def billing_month_now() -> str:
    """The billing month a transaction recorded during the test falls in."""
    return billing_month(await away_from_a_month_end())


def billing_months(since: datetime, until: datetime) -> list[str]:
    """The billing months from `since` to `until`: one, or more when a Finnish month ended in between (for a
    long test that counts what it did, in whichever months that fell)."""
    months = [billing_month(since)]
    day = helsinki_date(since)
    while (day := _first_of_next_month(day)) <= helsinki_date(until):
        months.append(billing_month(at_hour(day, 0)))
    return months


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True)
class ClockStart:
    """A moment a calendar-sensitive test starts from, computed from today's wall clock."""

    name: str
    at: Callable[[datetime], datetime | None]
    """From now, the moment to move the test clock to (None: now itself)."""


def _last_evening_of_the_month(now: datetime) -> datetime:
    return at_hour(_first_of_next_month(helsinki_date(now)), 0) - timedelta(minutes=30)


def _day_before_christmas(now: datetime) -> datetime:
    return next_day(now, lambda day: (day.month, day.day) == (12, 24), hour=12)


TODAY = ClockStart("today", lambda now: None)
CLOCK_STARTS = [
    TODAY,
    ClockStart("in 400 days", lambda now: now + timedelta(days=400)),
    ClockStart("in 1100 days", lambda now: now + timedelta(days=1100)),
    ClockStart("last evening of a month", lambda now: _last_evening_of_the_month(now + timedelta(hours=1))),
    ClockStart("day before Christmas", _day_before_christmas),
]
