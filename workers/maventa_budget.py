"""The fleet's Maventa places for one process's pace: a lease in the store, renewed while the process calls
Maventa (store/maventa_budget.py), so every worker and API process shares one budget however many run.

A renewal is one short store transaction every RENEW_S while the process holds places or has requests waiting,
not one per request; an idle process gives its lease back and asks again on its next request. The pace asks
`allowed` before each place it takes, which reads only what the last renewal said, and counts on nothing once
its own lease could have run out (a renewal that fails or comes late, a stalled process): it then waits for
the next renewal rather than risk places another process was given.
"""

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import make_url

from clients.pacing import Demand, budget_places
from store import maventa_budget
from store.database import Sessions
from store.maventa_budget import give_back, renew_lease

log = logging.getLogger(__name__)

RENEW_S = 0.25
"""How often a busy process renews its lease: how soon a share follows another process's need."""
SOONEST_RENEWAL_S = 0.05
"""A process whose requests have outgrown the places it asked for renews at once, but at most this often."""


class FleetPlaces:
    """The places this process may hold of the fleet's floor(budget), leased through the store."""

    def __init__(self, store_url: str, per_second: float) -> None:
        self._sessions = Sessions.for_url(store_url)
        self._places = budget_places(per_second)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._allowed = 0
        self._share = 0
        self._valid_until = float("-inf")
        self._renewing: asyncio.Task[None] | None = None
        self._asked = asyncio.Event()
        # A thread of its own: behind a hundred activities' store calls in the default pool, a renewal could
        # come after the lease has run out and stop every Maventa request of the process meanwhile.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="maventa-budget")

    def allowed(self, demand: Demand) -> int:
        loop = asyncio.get_running_loop()
        valid = loop.time() < self._valid_until
        if self._renewing is None or self._renewing.done():
            if demand.held or demand.waiting:
                self._renewing = loop.create_task(self._keep_renewing(demand))
        elif not valid:
            self._asked.set()  # no lease to count on: ask at once rather than at the next period
        elif demand.waiting and demand.held >= self._allowed and self._allowed < self._share:
            # It asked for fewer than it would be given, and now has more requests than that: ask again now
            # rather than hold them, and every turn after them, until the next period.
            self._asked.set()
        return self._allowed if valid else 0

    def share(self) -> int:
        return self._share

    async def _keep_renewing(self, demand: Demand) -> None:
        """Renew every RENEW_S while the process holds or wants places; give the lease back after."""
        loop = asyncio.get_running_loop()
        while True:
            held, waiting = demand.held, demand.waiting
            started = loop.time()
            try:
                if not held and not waiting:
                    self._allowed, self._valid_until = 0, float("-inf")
                    await loop.run_in_executor(self._thread, give_back, self._sessions, self.holder)
                    return
                lease = await loop.run_in_executor(
                    self._thread, renew_lease, self._sessions, self.holder, self._places, held, waiting
                )
                grown = lease.allowed > (self._allowed if loop.time() < self._valid_until else 0)
                self._allowed, self._valid_until = lease.allowed, started + maventa_budget.LEASE_S
                self._share = lease.share
                if grown:
                    demand.wake()  # the request waiting for a place need not wait for its next look
                if loop.time() - started > maventa_budget.LEASE_S / 2:
                    log.warning("renewing the Maventa budget's lease took %.2f s", loop.time() - started)
            except Exception:
                log.warning("could not renew the Maventa budget's lease; retrying", exc_info=True)
                await asyncio.sleep(RENEW_S)
            self._asked.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._asked.wait(), max(0.0, started + RENEW_S - loop.time()))
            await asyncio.sleep(max(0.0, started + SOONEST_RENEWAL_S - loop.time()))

    def abandon(self) -> None:
        """Stop as a killed process would: no renewal, no lease given back (it expires by itself)."""
        if self._renewing is not None:
            self._renewing.cancel()
        self._thread.shutdown(wait=False)
        self._sessions.dispose()

    async def aclose(self) -> None:
        """Stop renewing and give the lease back, so the others need not wait for it to expire."""
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._thread, give_back, self._sessions, self.holder)
        except Exception:
            log.warning("could not give the Maventa budget's lease back; it expires by itself", exc_info=True)
        finally:
            self._thread.shutdown(wait=False)
            self._sessions.dispose()


def shares_a_store(store_url: str) -> bool:
    """Whether other processes can see this store: not an in-memory SQLite, which is one process's own."""
    url = make_url(store_url)
    return url.get_backend_name() != "sqlite" or bool(url.database and url.database != ":memory:")
