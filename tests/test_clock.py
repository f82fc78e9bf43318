"""The tests' clock helper (tests/clock.py) itself: its clock starts and billing months hold on any day."""

from datetime import UTC, datetime, timedelta

from domain.banking_days import HELSINKI, helsinki_date
from tests.clock import CLOCK_STARTS, at_hour, billing_months, wall_clock


def test_every_clock_start_lies_ahead_and_is_the_day_it_is_named_after_for_the_next_five_years() -> None:
    now = wall_clock()
    while now < wall_clock() + timedelta(days=5 * 366):
        starts = {start.name: start.at(now) for start in CLOCK_STARTS}
        assert starts["today"] is None
        assert all(moment is None or moment > now for moment in starts.values())
        assert starts["in 400 days"] == now + timedelta(days=400)
        assert starts["in 1100 days"] == now + timedelta(days=1100)

        evening = starts["last evening of a month"]
        assert evening is not None
        local = evening.astimezone(HELSINKI)
        assert (local.hour, local.minute) == (23, 30) and (local + timedelta(days=1)).day == 1

        christmas = starts["day before Christmas"]
        assert christmas is not None and helsinki_date(christmas).timetuple()[1:3] == (12, 24)
        assert christmas - now < timedelta(days=366)
        now += timedelta(days=2, hours=5)


def test_billing_months_are_the_finnish_months_a_stretch_of_time_touches() -> None:
    """Pinned historic moments: billing_months is a pure function of the two it is given."""
    new_years_eve = datetime(2024, 12, 31, 21, 30, tzinfo=UTC)  # 23:30 in Finland
    assert billing_months(new_years_eve, new_years_eve + timedelta(minutes=20)) == ["2024-12"]
    assert billing_months(new_years_eve, new_years_eve + timedelta(minutes=40)) == ["2024-12", "2025-01"]
    assert billing_months(at_hour(new_years_eve.date(), 12), datetime(2025, 3, 1, tzinfo=HELSINKI)) == [
        "2024-12",
        "2025-01",
        "2025-02",
        "2025-03",
    ]
