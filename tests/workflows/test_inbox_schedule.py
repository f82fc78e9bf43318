"""When the sweep's next round comes for waiting work: at the earliest retry time, and after a pause that
doubles only while rounds settle nothing."""

from datetime import UTC, datetime, timedelta

from workflows.inbox_models import InboxOptions
from workflows.inbox_schedule import longest_pause, next_retry

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
OPTIONS = InboxOptions()


def test_nothing_waiting_needs_no_round_and_ends_the_fruitless_run() -> None:
    assert next_retry(NOW, OPTIONS, retry_times=[], gave_up=False, progressed=False, fruitless_rounds=3) == (
        None,
        0,
    )


def test_a_round_that_settled_something_comes_back_at_the_earliest_retry_time() -> None:
    later, sooner = NOW + timedelta(seconds=90), NOW + timedelta(seconds=20)
    assert next_retry(
        NOW, OPTIONS, retry_times=[later, sooner], gave_up=False, progressed=True, fruitless_rounds=4
    ) == (sooner, 0)
    due = NOW - timedelta(seconds=1)
    at, _ = next_retry(NOW, OPTIONS, retry_times=[due], gave_up=False, progressed=True, fruitless_rounds=0)
    assert at == NOW, "already due: the next round at once"


def test_fruitless_rounds_pause_doubling_up_to_ten_first_retries() -> None:
    """1, 2, 4, 8, then 10 s with the production's options."""
    pauses = []
    fruitless = 0
    for _ in range(6):
        at, fruitless = next_retry(
            NOW, OPTIONS, retry_times=[NOW], gave_up=False, progressed=False, fruitless_rounds=fruitless
        )
        assert at is not None
        pauses.append(at - NOW)
    first = OPTIONS.import_retry_first
    assert pauses == [first, first * 2, first * 4, first * 8, longest_pause(OPTIONS), longest_pause(OPTIONS)]
    assert longest_pause(OPTIONS) == first * 10


def test_a_pause_never_brings_a_later_retry_time_forward() -> None:
    recheck = NOW + timedelta(seconds=90)
    at, fruitless = next_retry(
        NOW, OPTIONS, retry_times=[recheck], gave_up=False, progressed=False, fruitless_rounds=0
    )
    assert (at, fruitless) == (recheck, 1)


def test_work_that_gave_up_without_a_time_comes_back_after_the_pause() -> None:
    at, fruitless = next_retry(
        NOW, OPTIONS, retry_times=[], gave_up=True, progressed=False, fruitless_rounds=0
    )
    assert (at, fruitless) == (NOW + OPTIONS.import_retry_first, 1)


def test_the_longest_pause_never_passes_the_backstop() -> None:
    short = InboxOptions(backstop_every=OPTIONS.import_retry_first * 4)
    assert longest_pause(short) == short.backstop_every
