"""Finnish banking days and the deadlines built on them.

A banking day is Monday to Friday except New Year's Day, Epiphany, Good Friday, Easter Monday, May Day,
Ascension Day, Midsummer Eve, Independence Day, Christmas Eve, Christmas Day and Boxing Day. The `holidays`
package's Finland calendar (public category, no subdivision) holds exactly these on weekdays, Midsummer Eve
and Christmas Eve included; the tests pin that down year by year.

"End of a day" is the next day's 00:00 in Europe/Helsinki: an exclusive bound, so "past the deadline" is
simply `now >= deadline`, and it exists on every date (Finnish DST changes happen at 03:00/04:00).
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

HELSINKI = ZoneInfo("Europe/Helsinki")

BANK_NETWORK_BANKING_DAYS = 3
"""Banking days the banks get to open a company's bank-network connection (R7)."""


@lru_cache(maxsize=64)
def _finnish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Finland(years=year))


def is_banking_day(day: date) -> bool:
    """Whether Finnish banks process payments and e-invoices on this day."""
    return day.weekday() < 5 and day not in _finnish_holidays(day.year)


def next_banking_day(day: date) -> date:
    """The first banking day strictly after `day`."""
    candidate = day + timedelta(days=1)
    while not is_banking_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def banking_day_on_or_after(day: date) -> date:
    """`day` itself when it is a banking day, else the next one."""
    return day if is_banking_day(day) else next_banking_day(day)


def add_banking_days(day: date, count: int) -> date:
    """The `count`-th banking day after `day` (`day` itself does not count)."""
    if count < 0:
        raise ValueError(f"count must not be negative, got {count}")
    result = day
    for _ in range(count):
        result = next_banking_day(result)
    return result


def helsinki_date(at: datetime) -> date:
    """The calendar date in Finland at an aware instant."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a time zone is required, got the naive datetime {at.isoformat()}")
    return at.astimezone(HELSINKI).date()


def end_of_day(day: date) -> datetime:
    """The instant a Finnish calendar day ends: the next day's 00:00 in Europe/Helsinki."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=HELSINKI)


def end_of_day_helsinki(at: datetime) -> datetime:
    """The end of the Finnish day that contains `at` (the same-day provisioning deadline, R1)."""
    return end_of_day(helsinki_date(at))


def bank_network_deadline(requested_at: datetime) -> datetime:
    """The end of the 3rd banking day after the day of the bank-network request (R7).

    A request made on a non-banking day counts as made on the next banking day.
    """
    request_day = banking_day_on_or_after(helsinki_date(requested_at))
    return end_of_day(add_banking_days(request_day, BANK_NETWORK_BANKING_DAYS))
