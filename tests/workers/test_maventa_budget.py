"""Two processes' paced Maventa clients share one budget through the store (workers/maventa_budget.py): in no
one second do their requests add up to more than it, a lone busy one has all of it while another sits idle,
and a dead process's places come back once its lease expires.

Each client has places of its own (its own lease row and engine), exactly as two processes would; without the
shared lease each would pace at the whole budget and the pair at twice it.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from clients.pacing import Demand, PacedTransport, RequestPace
from store import maventa_budget
from store.schema import migrate
from store.scratch import scratch_schema
from tests.store.conftest import POSTGRES_URL
from workers import maventa_budget as fleet_budget
from workers.maventa_budget import FleetPlaces

BUDGET = 10.0
"""Requests a second, so 10 places: small enough that a burst of a few seconds crosses many windows."""
REQUESTS_EACH = 25


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'service.db'}"
        migrate(url)
        yield url
        return
    with scratch_schema(POSTGRES_URL) as url:
        migrate(url)
        yield url


def _recording_client(pace: RequestPace, sent: list[float]) -> httpx.AsyncClient:
    def answer(_: httpx.Request) -> httpx.Response:
        sent.append(asyncio.get_running_loop().time())
        return httpx.Response(200, json={})

    return httpx.AsyncClient(transport=PacedTransport(pace, httpx.MockTransport(answer)))


async def _burst(http: httpx.AsyncClient, count: int) -> None:
    await asyncio.gather(*(http.get("http://maventa.invalid/v1/company") for _ in range(count)))


def _most_in_one_second(sent: list[float]) -> int:
    ordered = sorted(sent)
    return max(sum(1 for later in ordered[n:] if later - at < 1.0) for n, at in enumerate(ordered))


async def test_two_processes_never_exceed_the_budget_in_any_second(store_url: str) -> None:
    sent: list[float] = []
    paces = [RequestPace(BUDGET, FleetPlaces(store_url, BUDGET)) for _ in range(2)]
    clients = [_recording_client(pace, sent) for pace in paces]
    try:
        await asyncio.gather(*(_burst(http, REQUESTS_EACH) for http in clients))
    finally:
        for http in clients:
            await http.aclose()

    assert len(sent) == 2 * REQUESTS_EACH
    assert _most_in_one_second(sent) <= BUDGET


class _Watched(FleetPlaces):
    """Remembers the most places it was ever allowed at once."""

    most = 0

    def allowed(self, demand: Demand) -> int:
        allowed = super().allowed(demand)
        self.most = max(self.most, allowed)
        return allowed


async def test_a_lone_busy_process_has_the_whole_budget_while_another_is_idle(store_url: str) -> None:
    sent: list[float] = []
    api = _recording_client(RequestPace(BUDGET, FleetPlaces(store_url, BUDGET)), sent)
    busy = _Watched(store_url, BUDGET)
    worker = _recording_client(RequestPace(BUDGET, busy), sent)
    try:
        await _burst(api, 1)  # the API has called Maventa once, and holds its lease a while after
        await _burst(worker, REQUESTS_EACH)
    finally:
        await api.aclose()
        await worker.aclose()

    assert busy.most == int(BUDGET), "the idle API kept none of the places from the busy worker"


@dataclass
class _Demand:
    held: int = 0
    waiting: int = 0

    def wake(self) -> None:
        return None


async def _allowed_once_renewed(places: FleetPlaces, demand: _Demand) -> int:
    places.allowed(demand)
    await asyncio.sleep(0.3)
    return places.allowed(demand)


async def test_a_dead_processs_places_come_back_when_its_lease_expires(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maventa_budget, "LEASE_S", 1.0)
    wanting_all = _Demand(waiting=int(BUDGET))
    dead, alive = FleetPlaces(store_url, BUDGET), FleetPlaces(store_url, BUDGET)
    try:
        assert await _allowed_once_renewed(dead, wanting_all) == int(BUDGET)
        dead.abandon()  # killed: it neither renews nor gives its lease back

        assert await _allowed_once_renewed(alive, wanting_all) == 0, "the dead one's lease still holds"
        for _ in range(600):  # up to 30 s on a busy machine; the lease itself lasts 1 s
            if alive.allowed(wanting_all) == int(BUDGET):
                break
            await asyncio.sleep(0.05)
        assert alive.allowed(wanting_all) == int(BUDGET)
    finally:
        await alive.aclose()


async def test_requests_that_outgrow_the_lease_ask_for_more_at_once_not_at_the_next_period(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fleet_budget, "RENEW_S", 60.0)
    monkeypatch.setattr(maventa_budget, "LEASE_S", 120.0)  # nor when the lease runs out
    demand = _Demand(waiting=1)
    places = FleetPlaces(store_url, BUDGET)
    try:
        assert await _allowed_once_renewed(places, demand) == 1
        demand.held, demand.waiting = 1, 4
        for _ in range(200):  # up to 10 s on a busy machine, against the period's 60 s
            if places.allowed(demand) == 5:
                break
            await asyncio.sleep(0.05)
        assert places.allowed(demand) == 5
        assert places.share() == int(BUDGET)
    finally:
        await places.aclose()
