"""Maventa's requests from one process: evenly spaced within its budget, and held whenever Maventa says 429.

The Maventa task queue's rate limit (docs/operating.md) decides how many activities the fleet starts a second,
but not when inside that second their requests go out, nor how many requests one activity makes: a received
invoice round is one activity of hundreds of requests, a company's first call also fetches its token. Maventa
counts requests, in any one-second window, at some moment between a request leaving and its answer coming
back. So with a budget a request takes one of the budget's floor(rate) places, which it gives back only one
second after its answer: wherever Maventa stamps a request, no second of Maventa's holds more requests than
places, however the machine, the network or Maventa itself stalls and bunches requests up on the way. A stall
only costs turns, never a 429. The places are the fleet's: each process holds at most the share it has leased
(`Places`; workers/maventa_budget.py shares them out through the store, all of them to a lone busy process),
and gives its requests turns spaced at that share of the rate. Idle time is not saved up for a burst later.

Every process listens to Maventa too, budget or not. Its published OpenAPI documents no rate limit and no rate
headers (docs/facts/maventa.md §3), so the one signal its answers carry is a 429 with Retry-After: then no
request of the process leaves until Retry-After has passed (the others would only earn 429s of their own and
spend Maventa's window on nothing), a paced process runs slower for a while after (`SLOWER_AFTER_429`, back
to its rate over `RECOVERY_S`), and the refused request is sent again once the hold is over, as long as it
has not waited `RETRIED_WITHIN_S` in all: a 429 refuses a request before any work (RFC 6585; Maventa documents
none), and the caller would only have started its work again from scratch (an import round reading its
invoices anew, docs/operating.md).
"""

import asyncio
import email.utils
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Protocol

import httpx

WINDOW_S = 1.0
"""Maventa's limit is per one-second window; a request's place is given back this long after its answer."""
SLOWER_AFTER_429 = 0.9
"""Fraction of its rate the pace runs at right after a 429; it comes back to the full rate over RECOVERY_S."""
RECOVERY_S = 10.0
HOLD_WITHOUT_RETRY_AFTER_S = 1.0
"""A 429 without Retry-After holds the requests this long: the window limits are counted in."""
PLACES_POLL_S = 0.05
"""How often a process whose places are all taken looks whether the fleet gives it more."""
RETRIED_WITHIN_S = 5.0
"""A request refused with 429 is sent again after the hold while its holds add up to no more than this; past
it the 429 reaches the caller, whose own retry (an activity's, the sweep's next round) takes over."""


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


class Demand(Protocol):
    """What a pace is asking of its places: how many it holds, and how many requests wait for one."""

    held: int
    waiting: int

    def wake(self) -> None:
        """Look at the places again now: the share has grown."""


class Places(Protocol):
    """Where a process's places come from: the fleet's budget shared out (workers/maventa_budget.py)."""

    def allowed(self, demand: Demand) -> int:
        """Places the process may hold now; `demand` is the pace's, read again at each renewal."""
        ...

    def share(self) -> int:
        """Places the process would be given if it wanted them all: its turns are spaced at that share of the
        rate, not at `allowed`, which only follows how many requests it had a moment ago."""
        ...

    async def aclose(self) -> None: ...


def budget_places(per_second: float) -> int:
    """A budget's places: as many requests as may be under way in any one second."""
    return max(1, math.floor(per_second))


class OwnPlaces:
    """A budget this process has to itself: all its places, always (one process, or a store of its own)."""

    def __init__(self, per_second: float) -> None:
        self._places = budget_places(per_second)

    def allowed(self, demand: Demand) -> int:
        return self._places

    def share(self) -> int:
        return self._places

    async def aclose(self) -> None:
        return None


class RequestPace:
    """Turns `1 / rate` apart, never more requests in any second of Maventa's than the places, held by 429s.

    `per_second` None: no budget, only Maventa's Retry-After holds. With a budget the process holds at most
    `places.allowed(...)` places at once (all floor(budget) of them by default; its share of the fleet's with
    shared places) and its rate is that many a second. Turns are planned, so the average rate is the pace
    however late the event loop wakes a request; the places keep even a late, bunched-up run of requests
    within the budget as Maventa counts it.
    """

    def __init__(self, per_second: float | None = None, places: Places | None = None) -> None:
        if per_second is not None and per_second <= 0:
            raise ValueError(f"a pace needs a positive rate, not {per_second}")
        self.per_second = per_second
        self.places: Places | None = (places or OwnPlaces(per_second)) if per_second else None
        self.held = 0
        self.waiting = 0
        self._released = asyncio.Event()
        self._last = float("-inf")
        self._turns = asyncio.Lock()
        self._held_until = float("-inf")
        self._slowed_at = float("-inf")

    @property
    def interval(self) -> float:
        """The spacing of turns: the budget's, stretched by this process's share of the fleet's places."""
        if self.places is None or not self.per_second:
            return 0.0
        share = max(1, self.places.share()) / budget_places(self.per_second)
        return 1.0 / (self.per_second * share)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Send the request inside the block; its place in the window comes back WINDOW_S after the block."""
        await self._take_turn()
        try:
            yield
        finally:
            if self.places is not None:
                asyncio.get_running_loop().call_later(WINDOW_S, self._give_back)

    def _give_back(self) -> None:
        self.held -= 1
        self._released.set()

    def wake(self) -> None:
        self._released.set()

    async def _take_turn(self) -> None:
        self.waiting += 1
        waiting = True
        try:
            async with self._turns:
                if self.places is not None:
                    await self._a_place(self.places)
                    self.held += 1
                self.waiting -= 1
                waiting = False
                try:
                    await self._wait_for_the_clock()
                except BaseException:
                    if self.places is not None:
                        self._give_back()  # the request never left
                    raise
        finally:
            if waiting:
                self.waiting -= 1

    async def _a_place(self, places: Places) -> None:
        """Until the process holds fewer places than it may: woken by a place given back, and looking again
        every PLACES_POLL_S for a larger share of the fleet's."""
        while self.held >= places.allowed(self):
            self._released.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), PLACES_POLL_S)

    async def _wait_for_the_clock(self) -> None:
        loop = asyncio.get_running_loop()
        # The spacing at the share the process has now that it holds a place, not at the last turn's: a share
        # that was none for a moment (its lease just expiring before a late renewal) would space it a second.
        turn = loop.time()
        if self._last > float("-inf"):
            turn = max(turn, self._last + self.interval_at(self._last))
        while True:
            # Looked at again after each sleep: a 429 answered meanwhile holds this turn too.
            turn = max(turn, self._held_until)
            delay = turn - loop.time()
            if delay <= 0:
                break
            await asyncio.sleep(delay)
        self._last = turn

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
    """Sends through `inner` once the pace allows, tells the pace of every 429 and sends the refused request
    again after the hold (RETRIED_WITHIN_S); the time waiting here is not the upstream's latency."""

    def __init__(self, pace: RequestPace, inner: httpx.AsyncBaseTransport) -> None:
        self._pace = pace
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()  # the body in memory, so that a refused request can be sent again
        held_in_all = 0.0
        while True:
            async with self._pace.turn():
                response = await self._inner.handle_async_request(request)
            if response.status_code != 429:
                return response
            held = retry_after_s(response.headers.get("Retry-After"))
            held = HOLD_WITHOUT_RETRY_AFTER_S if held is None else held
            self._pace.hold(held)
            held_in_all += held
            if held_in_all > RETRIED_WITHIN_S:
                return response
            await response.aclose()

    async def aclose(self) -> None:
        await self._inner.aclose()
        if self._pace.places is not None:
            await self._pace.places.aclose()
