"""Evenly spaced requests to Maventa from one worker process.

The Maventa task queue's rate limit (docs/operating.md) decides how many activities the fleet starts a second,
but not when inside that second their requests go out, nor how many requests one activity makes: a received
invoice round is one activity of hundreds of requests, a company's first call also fetches its token. Maventa
counts requests, in any one-second window. So each worker process also gives its requests turns `1 / rate`
apart and sends no more than `rate` of them in any second; a request that finds the pace free goes at once,
and time spent idle is not saved up for a burst later.
"""

import asyncio
import math
from collections import deque

import httpx


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

    async def wait_turn(self) -> None:
        async with self._turns:
            loop = asyncio.get_running_loop()
            turn = max(loop.time(), self._next)
            if len(self._departures) == self._departures.maxlen:
                turn = max(turn, self._departures[0] + 1.0)
            delay = turn - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._departures.append(loop.time())
            self._next = turn + self.interval


class PacedTransport(httpx.AsyncBaseTransport):
    """Sends through `inner` once the pace allows; the time waiting here is not the upstream's latency."""

    def __init__(self, pace: RequestPace, inner: httpx.AsyncBaseTransport) -> None:
        self._pace = pace
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._pace.wait_turn()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
