"""The Finnish banking-day calendar and the bank-network deadline (R7), on concrete 2026-2027 dates."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.banking_days import (
    HELSINKI,
    add_banking_days,
    bank_network_deadline,
    banking_day_on_or_after,
    end_of_day_helsinki,
    is_banking_day,
    next_banking_day,
)

BANK_HOLIDAYS_ON_WEEKDAYS = {
    2026: [
        date(2026, 1, 1),  # New Year's Day
        date(2026, 1, 6),  # Epiphany
        date(2026, 4, 3),  # Good Friday
        date(2026, 4, 6),  # Easter Monday
        date(2026, 5, 1),  # May Day
        date(2026, 5, 14),  # Ascension Day
        date(2026, 6, 19),  # Midsummer Eve
        date(2026, 12, 24),  # Christmas Eve
        date(2026, 12, 25),  # Christmas Day (Independence Day and Boxing Day fall on weekends)
    ],
    2027: [
        date(2027, 1, 1),
        date(2027, 1, 6),
        date(2027, 3, 26),  # Good Friday
        date(2027, 3, 29),  # Easter Monday
        date(2027, 5, 6),  # Ascension Day (May Day is a Saturday)
        date(2027, 6, 25),  # Midsummer Eve
        date(2027, 12, 6),  # Independence Day
        date(2027, 12, 24),  # Christmas Eve (Christmas Day and Boxing Day are a weekend)
    ],
    2028: [
        date(2028, 1, 6),
        date(2028, 4, 14),
        date(2028, 4, 17),
        date(2028, 5, 1),
        date(2028, 5, 25),
        date(2028, 6, 23),
        date(2028, 12, 6),
        date(2028, 12, 25),
        date(2028, 12, 26),
    ],
}


def helsinki(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HELSINKI)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime.combine(date(year, month, day) + timedelta(days=1), time(0), tzinfo=HELSINKI)


@pytest.mark.parametrize("year", sorted(BANK_HOLIDAYS_ON_WEEKDAYS))
def test_weekday_bank_holidays_are_exactly_the_finnish_list(year: int) -> None:
    day = date(year, 1, 1)
    non_banking_weekdays = []
    while day.year == year:
        if day.weekday() < 5 and not is_banking_day(day):
            non_banking_weekdays.append(day)
        day += timedelta(days=1)
    assert non_banking_weekdays == BANK_HOLIDAYS_ON_WEEKDAYS[year]


@pytest.mark.parametrize(
    "day",
    [date(2026, 4, 2), date(2026, 12, 31), date(2026, 6, 18), date(2026, 12, 23), date(2027, 12, 31)],
)
def test_short_banking_days_are_banking_days(day: date) -> None:
    """Maundy Thursday and New Year's Eve are short banking days, not holidays."""
    assert is_banking_day(day)


def test_weekends_are_not_banking_days() -> None:
    assert not is_banking_day(date(2026, 3, 7))
    assert not is_banking_day(date(2026, 3, 8))
    assert next_banking_day(date(2026, 3, 6)) == date(2026, 3, 9)


@pytest.mark.parametrize(
    ("requested_at", "deadline"),
    [
        # Maundy Thursday: Good Friday and Easter Monday do not count.
        (helsinki(2026, 4, 2, 10), end_of(2026, 4, 9)),
        # Wednesday before Christmas: 24th, 25th and the weekend do not count.
        (helsinki(2026, 12, 23, 9), end_of(2026, 12, 30)),
        # Midsummer Eve is not a banking day: counts as Monday 22 June.
        (helsinki(2026, 6, 19, 15), end_of(2026, 6, 25)),
        # A Friday request ends on the Wednesday.
        (helsinki(2026, 3, 6, 16), end_of(2026, 3, 11)),
        # A Saturday request counts as made on Monday.
        (helsinki(2026, 3, 7, 11), end_of(2026, 3, 12)),
        (helsinki(2026, 3, 8, 23, 59), end_of(2026, 3, 12)),
        # New Year: 31 Dec 2026 is a banking day; 1 Jan and Epiphany Wed 6 Jan 2027 are not.
        (helsinki(2026, 12, 31, 10), end_of(2027, 1, 7)),
        (helsinki(2027, 1, 5, 10), end_of(2027, 1, 11)),
        # Christmas 2027: Fri 24 Dec holiday, 25-26 weekend.
        (helsinki(2027, 12, 22, 10), end_of(2027, 12, 28)),
        # Ascension Thursday 14 May 2026.
        (helsinki(2026, 5, 12, 10), end_of(2026, 5, 18)),
        # Independence Day Mon 6 Dec 2027.
        (helsinki(2027, 12, 3, 10), end_of(2027, 12, 9)),
    ],
)
def test_bank_network_deadline(requested_at: datetime, deadline: datetime) -> None:
    assert bank_network_deadline(requested_at) == deadline


def test_deadline_uses_the_finnish_date_not_the_utc_date() -> None:
    # 22:30 UTC on Friday 6 March 2026 is already Saturday 00:30 in Helsinki.
    late_friday_utc = datetime(2026, 3, 6, 22, 30, tzinfo=UTC)
    assert bank_network_deadline(late_friday_utc) == end_of(2026, 3, 12)
    assert bank_network_deadline(datetime(2026, 3, 6, 21, 59, tzinfo=UTC)) == end_of(2026, 3, 11)


def test_deadline_across_spring_dst_change() -> None:
    # Clocks go forward on Sunday 29 March 2026; the deadline is Helsinki midnight at UTC+3.
    deadline = bank_network_deadline(helsinki(2026, 3, 27, 12))
    assert deadline == end_of(2026, 4, 1)
    assert deadline.astimezone(UTC) == datetime(2026, 4, 1, 21, 0, tzinfo=UTC)


def test_deadline_across_autumn_dst_change() -> None:
    # Clocks go back on Sunday 25 October 2026; the deadline is Helsinki midnight at UTC+2.
    deadline = bank_network_deadline(helsinki(2026, 10, 23, 12))
    assert deadline == end_of(2026, 10, 28)
    assert deadline.astimezone(UTC) == datetime(2026, 10, 28, 22, 0, tzinfo=UTC)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        bank_network_deadline(datetime(2026, 3, 6, 12))


def test_end_of_day_helsinki() -> None:
    assert end_of_day_helsinki(helsinki(2026, 3, 6, 0, 0)) == end_of(2026, 3, 6)
    assert end_of_day_helsinki(datetime(2026, 6, 30, 21, 0, tzinfo=UTC)) == end_of(2026, 7, 1)
    assert end_of_day_helsinki(datetime(2026, 6, 30, 20, 59, tzinfo=UTC)) == end_of(2026, 6, 30)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@given(instants)
def test_deadline_is_the_end_of_a_banking_day_three_banking_days_on(requested_at: datetime) -> None:
    deadline = bank_network_deadline(requested_at)
    last_day = deadline.astimezone(HELSINKI).date() - timedelta(days=1)
    assert deadline.astimezone(HELSINKI).time() == time(0)
    assert is_banking_day(last_day)
    request_day = requested_at.astimezone(HELSINKI).date()
    banking_days_between = sum(
        is_banking_day(request_day + timedelta(days=n)) for n in range(1, (last_day - request_day).days + 1)
    )
    expected = 3 if is_banking_day(request_day) else 4
    assert banking_days_between == expected
    assert deadline > requested_at
    assert deadline - requested_at < timedelta(days=12)


@given(instants, st.integers(min_value=0, max_value=60 * 24 * 14))
def test_deadline_never_moves_earlier_for_a_later_request(requested_at: datetime, minutes: int) -> None:
    later = requested_at + timedelta(minutes=minutes)
    assert bank_network_deadline(later) >= bank_network_deadline(requested_at)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 30))
def test_adding_banking_days_lands_on_banking_days(day: date, count: int) -> None:
    result = add_banking_days(day, count)
    if count:
        assert is_banking_day(result)
        assert add_banking_days(day, count - 1) < result
    assert banking_day_on_or_after(day) >= day
    assert is_banking_day(banking_day_on_or_after(day))
