"""One process's Maventa requests: never closer than the pace, never a saved-up burst, never more in a second
than the budget wherever Maventa counts them, and held (then sent again) when Maventa says 429."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from clients import pacing
from clients.maventa import MaventaCredentials
from clients.pacing import (
    HOLD_WITHOUT_RETRY_AFTER_S,
    RECOVERY_S,
    SLOWER_AFTER_429,
    PacedTransport,
    RequestPace,
    retry_after_s,
)
from settings import Settings
from store.schema import migrate
from tests.clients.upstream_answers import maventa_4xx_answers
from tests.sandbox.maventa.serving import VENDOR_KEY, MaventaSandbox, running_sandbox
from workers.dependencies import open_dependencies

PER_SECOND = 20.0
SLACK_S = 1e-6
"""Only the float rounding of the loop's clock: each turn is a lower bound, however slow the machine."""


@pytest_asyncio.fixture(loop_scope="session")
async def maventa() -> AsyncIterator[MaventaSandbox]:
    async with running_sandbox() as sandbox:
        yield sandbox


def _recording_client(sent: list[float], per_second: float = PER_SECOND) -> httpx.AsyncClient:
    def answer(_: httpx.Request) -> httpx.Response:
        sent.append(asyncio.get_running_loop().time())
        return httpx.Response(200, json={})

    pace = RequestPace(per_second)
    return httpx.AsyncClient(transport=PacedTransport(pace, httpx.MockTransport(answer)))


def _no_earlier_than_their_turns(sent: list[float], burst_at: float) -> None:
    """The n-th request of a burst leaves no earlier than n intervals after the burst began.

    Measured from the burst, not from the first request's arrival: turns are planned from the first turn, and
    the first request may reach the transport a little after its turn (the loop ran something else between),
    which a later request, on time for its own turn, must not be blamed for.
    """
    for n, at in enumerate(sorted(sent)):
        assert at - burst_at >= n / PER_SECOND - SLACK_S, (n, at - burst_at)


async def test_requests_sent_together_take_turns_one_interval_apart() -> None:
    sent: list[float] = []
    async with _recording_client(sent) as http:
        burst_at = asyncio.get_running_loop().time()
        await asyncio.gather(*(http.get("http://maventa.invalid/v1/company") for _ in range(12)))

    assert len(sent) == 12
    _no_earlier_than_their_turns(sent, burst_at)


async def test_time_spent_idle_is_not_saved_up_for_a_burst() -> None:
    sent: list[float] = []
    async with _recording_client(sent) as http:
        await http.get("http://maventa.invalid/v1/company")
        await asyncio.sleep(10 / PER_SECOND)
        burst_at = asyncio.get_running_loop().time()
        await asyncio.gather(*(http.get("http://maventa.invalid/v1/company") for _ in range(4)))

    assert len(sent) == 5
    _no_earlier_than_their_turns(sent[1:], burst_at)


async def test_a_stalled_event_loop_does_not_bunch_more_than_the_pace_into_one_second() -> None:
    pace = RequestPace(PER_SECOND)
    loop = asyncio.get_running_loop()
    departed: list[float] = []

    async def request() -> None:
        async with pace.turn():
            departed.append(loop.time())

    async def stall() -> None:
        await asyncio.sleep(0.3)
        time.sleep(0.4)  # noqa: ASYNC251 - the whole process busy: every turn due meanwhile is late

    await asyncio.gather(stall(), *(request() for _ in range(50)))

    window = int(PER_SECOND)
    for earlier, later in zip(departed, departed[window:], strict=False):
        assert later - earlier >= 1.0 - 1e-3, "more than the pace left within one second"


async def test_a_429_holds_every_request_for_its_retry_after_then_the_pace_comes_back_slowly() -> None:
    """Lower bounds only: each request leaves no earlier than the hold and the slower pace allow."""
    loop = asyncio.get_running_loop()
    sent: list[float] = []
    refused_at: list[float] = []

    def answer(_: httpx.Request) -> httpx.Response:
        now = loop.time()
        sent.append(now)
        if len(sent) == 1:
            refused_at.append(now)
            return httpx.Response(429, headers={"Retry-After": "0.3"}, json={})
        return httpx.Response(200, json={})

    pace = RequestPace(PER_SECOND)
    async with httpx.AsyncClient(transport=PacedTransport(pace, httpx.MockTransport(answer))) as http:
        first = await http.get("http://maventa.invalid/v1/company")
        await asyncio.gather(*(http.get("http://maventa.invalid/v1/company") for _ in range(8)))

    assert first.status_code == 200, "the refused request is sent again after the hold"
    assert len(sent) == 10
    # Request k after the 429 (from 0) leaves no earlier than the hold plus k turns of the slower pace, taken
    # at its fastest by then: the pace recovers with time, so a late request is held to the rate of its time.
    for k, at in enumerate(sent[1:]):
        since = at - refused_at[0]
        slower = SLOWER_AFTER_429 + (1 - SLOWER_AFTER_429) * min(1.0, since / RECOVERY_S)
        assert since >= 0.3 + k / PER_SECOND / slower - SLACK_S, (k, since)


async def test_a_429_without_retry_after_holds_for_a_second() -> None:
    pace = RequestPace(PER_SECOND)
    loop = asyncio.get_running_loop()
    pace.hold(HOLD_WITHOUT_RETRY_AFTER_S)
    held_at = loop.time()
    async with pace.turn():
        pass
    assert loop.time() - held_at >= HOLD_WITHOUT_RETRY_AFTER_S - SLACK_S


async def test_no_second_holds_more_than_the_pace_however_late_the_answers_come() -> None:
    """Maventa counts a request somewhere between its leaving and its answer: the (n + rate)-th request leaves
    only a second after the n-th one's answer, so even answers that stall bunch nothing into one second."""
    loop = asyncio.get_running_loop()
    left: list[float] = []
    answered: list[float] = []

    async def slow_answer(_: httpx.Request) -> httpx.Response:
        left.append(loop.time())
        await asyncio.sleep(0.3 if len(left) % 3 else 0.05)
        answered.append(loop.time())
        return httpx.Response(200, json={})

    per_second = 5
    pace = RequestPace(per_second)
    async with httpx.AsyncClient(transport=PacedTransport(pace, httpx.MockTransport(slow_answer))) as http:
        await asyncio.gather(*(http.get("http://maventa.invalid/v1/company") for _ in range(15)))

    answered_in_order = sorted(answered)
    for n, leaving in enumerate(sorted(left)[per_second:]):
        assert leaving >= answered_in_order[n] + 1.0 - SLACK_S, (n, leaving - answered_in_order[n])


async def test_without_a_budget_a_429_still_holds_the_process_and_the_refused_request_goes_again() -> None:
    loop = asyncio.get_running_loop()
    bodies: list[tuple[float, bytes]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append((loop.time(), request.content))
        if len(bodies) == 1:
            return httpx.Response(429, headers={"Retry-After": "0.3"}, json={})
        return httpx.Response(201, json={})

    unpaced = PacedTransport(RequestPace(), httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=unpaced) as http:
        first = await http.post(
            "http://maventa.invalid/v1/invoices", files={"file": ("a.xml", b"<Finvoice/>")}
        )
        others = await asyncio.gather(*(http.get("http://maventa.invalid/v1/company") for _ in range(3)))

    assert first.status_code == 201 and {o.status_code for o in others} == {201}
    refused_at, refused_body = bodies[0]
    assert bodies[1][1] == refused_body and b"<Finvoice/>" in refused_body, "the same body sent again whole"
    assert all(at - refused_at >= 0.3 - SLACK_S for at, _ in bodies[1:])


async def test_a_429_that_lasts_past_the_retry_budget_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pacing, "RETRIED_WITHIN_S", 0.5)
    sent: list[float] = []

    def answer(_: httpx.Request) -> httpx.Response:
        sent.append(asyncio.get_running_loop().time())
        return httpx.Response(429, headers={"Retry-After": "0.3"}, json={})

    unpaced = PacedTransport(RequestPace(), httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=unpaced) as http:
        response = await http.get("http://maventa.invalid/v1/company")

    assert response.status_code == 429
    assert len(sent) == 2, "sent again once (0.3 s held), then 0.6 s is past the 0.5 s allowed"


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert retry_after_s("2") == 2.0
    assert retry_after_s("-1") == 0.0
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_s("soon") is None
    assert retry_after_s(None) is None


class _FewPlacesOfAWholeShare:
    """A lone process's lease just after a quiet spell: it asked for 5 places, and would be given all 20."""

    def allowed(self, demand: pacing.Demand) -> int:
        return 5

    def share(self) -> int:
        return int(PER_SECOND)

    async def aclose(self) -> None:
        return None


def test_turns_are_spaced_at_the_processs_share_not_at_the_places_it_asked_for() -> None:
    pace = RequestPace(PER_SECOND, _FewPlacesOfAWholeShare())

    assert pace.interval == pytest.approx(1 / PER_SECOND)


def test_a_pace_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        RequestPace(0)


async def _burst(
    maventa: MaventaSandbox, tmp_path: Path, creds: MaventaCredentials, budget: float = 0.0
) -> float:
    """20 requests at once through the worker's Maventa client, every one answered; how many 429s Maventa
    gave on the way."""
    settings = Settings(
        data_dir=tmp_path,
        maventa_base_url=maventa.url,
        maventa_vendor_api_key=SecretStr(VENDOR_KEY),
        maventa_requests_per_second=budget,
    )
    migrate(settings.store_url)  # the budget's places are leased in the store (workers/maventa_budget.py)
    refused_before = maventa_4xx_answers()
    async with open_dependencies(settings) as dependencies:
        answers = await asyncio.gather(
            *(dependencies.maventa.list_profiles(creds) for _ in range(20)), return_exceptions=True
        )
    assert not [a for a in answers if isinstance(a, BaseException)], answers
    return maventa_4xx_answers() - refused_before


async def test_a_worker_with_a_budget_stays_under_maventas_limit(
    maventa: MaventaSandbox, tmp_path: Path
) -> None:
    _, creds = await maventa.account()
    await maventa.control("PUT", "/faults", json={"rate_limit_per_s": 10})
    try:
        assert await _burst(maventa, tmp_path, creds) > 0, "without a budget the burst hits the limit, waits"
        await asyncio.sleep(1.1)
        assert await _burst(maventa, tmp_path, creds, budget=5.0) == 0
    finally:
        await maventa.control("DELETE", "/faults")
