"""Evenly spaced requests to Maventa from one worker process.

The Maventa task queue's rate limit (docs/operating.md) decides how many activities the fleet starts a second,
but not when inside that second their requests go out, nor how many requests one activity makes: a received
invoice round is one activity of hundreds of requests, a company's first call also fetches its token. Maventa
counts requests, in any one-second window. So each worker process also gives its requests turns `1 / rate`
apart and sends no more than `rate` of them in any second; a request that finds the pace free goes at once,
and time spent idle is not saved up for a burst later.

The pace also listens to Maventa. Its published OpenAPI documents no rate limit and no rate headers
(docs/facts/maventa.md §3), so the one signal its answers can carry is a 429 with Retry-After: then no
request of the process leaves until Retry-After has passed (the others would only earn 429s of their own),
and the pace runs slower for a while after (`SLOWER_AFTER_429`, back to the full rate over `RECOVERY_S`):
a 429 means Maventa counted more than the budget in some second, e.g. from another process, or from a stall
that bunched the requests up on the way.
"""

import asyncio
import email.utils
import math
from collections import deque
from datetime import UTC, datetime

import httpx

SLOWER_AFTER_429 = 0.9
"""Fraction of its rate the pace runs at right after a 429; it comes back to the full rate over RECOVERY_S."""
RECOVERY_S = 10.0
HOLD_WITHOUT_RETRY_AFTER_S = 1.0
"""A 429 without Retry-After holds the requests this long: the window limits are counted in."""


def retry_after_s(value: str | None) -> float | None:
    """Retry-After as seconds or as an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RequestPace:
    """Turns one `1 / per_second` apart, and never more than `per_second` requests in any one second.

    Turns are planned, so the average rate is the pace however late the event loop wakes a request. A late
    wake-up would bring the requests after it closer together; the window keeps even those within the budget,
    measured where it matters, at the moment each request leaves.
    """

    def __init__(self, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError(f"a pace needs a positive rate, not {per_second}")
        self.interval = 1.0 / per_second
        self._next = float("-inf")
        self._departures: deque[float] = deque(maxlen=max(1, math.floor(per_second)))
        self._turns = asyncio.Lock()
        self._held_until = float("-inf")
        self._slowed_at = float("-inf")

    async def wait_turn(self) -> None:
        async with self._turns:
            loop = asyncio.get_running_loop()
            turn = max(loop.time(), self._next)
            while True:
                # Looked at again after each sleep: a 429 answered meanwhile holds this turn too.
                turn = max(turn, self._held_until)
                if len(self._departures) == self._departures.maxlen:
                    turn = max(turn, self._departures[0] + 1.0)
                delay = turn - loop.time()
                if delay <= 0:
                    break
                await asyncio.sleep(delay)
            self._departures.append(loop.time())
            self._next = turn + self.interval_at(turn)

    def interval_at(self, moment: float) -> float:
        """The spacing of turns at `moment` (the loop's clock): longer for RECOVERY_S after a 429."""
        since = moment - self._slowed_at
        if since >= RECOVERY_S:
            return self.interval
        return self.interval / (SLOWER_AFTER_429 + (1.0 - SLOWER_AFTER_429) * max(0.0, since) / RECOVERY_S)

    def hold(self, seconds: float) -> None:
        """Maventa answered 429: no turn for `seconds` (its Retry-After), then a slower pace for a while."""
        now = asyncio.get_running_loop().time()
        self._held_until = max(self._held_until, now + seconds)
        self._slowed_at = now


class PacedTransport(httpx.AsyncBaseTransport):
    """Sends through `inner` once the pace allows, and tells the pace of every 429; the time waiting here is
    not the upstream's latency."""

    def __init__(self, pace: RequestPace, inner: httpx.AsyncBaseTransport) -> None:
        self._pace = pace
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._pace.wait_turn()
        response = await self._inner.handle_async_request(request)
        if response.status_code == 429:
            held = retry_after_s(response.headers.get("Retry-After"))
            self._pace.hold(HOLD_WITHOUT_RETRY_AFTER_S if held is None else held)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
