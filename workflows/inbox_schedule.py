"""When the inbox sweep's next round comes for invoices a round left waiting (issue 23's recovery in seconds).

A pure function of what the round saw and the workflow's clock. The backstop timer stays the cover for lost
webhooks only: waiting invoices come back at their own earliest retry time, and a round that could do nothing
(a service down, the queue unreadable) backs off so an outage costs a few rounds a minute, not a loop.
"""

from datetime import datetime, timedelta

from workflows.inbox_models import InboxOptions


def longest_pause(options: InboxOptions) -> timedelta:
    """The longest wait after fruitless rounds: ten first retries, never past the backstop."""
    return max(options.import_retry_first, min(options.backstop_every, options.import_retry_first * 10))


def next_retry(
    now: datetime,
    options: InboxOptions,
    *,
    retry_times: list[datetime],
    gave_up: bool,
    progressed: bool,
    fruitless_rounds: int,
) -> tuple[datetime | None, int]:
    """The moment of the next round for waiting work (None: nothing waits) and the new fruitless count.

    `retry_times`: each waiting invoice's earliest retry; `gave_up`: an import batch or the queue read failed
    its attempts, so its work waits without a time of its own; `progressed`: the round settled an invoice.
    """
    if not retry_times and not gave_up:
        return None, 0
    fruitless = 0 if progressed else fruitless_rounds + 1
    pause = (
        min(options.import_retry_first * 2 ** (fruitless - 1), longest_pause(options))
        if fruitless
        else timedelta(0)
    )
    earliest = min(retry_times, default=now)
    return max(earliest, now + pause), fruitless
