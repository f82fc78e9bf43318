"""Even spacing of one worker's Maventa requests: never closer than the pace, never a saved-up burst."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from clients.maventa import MaventaCredentials, MaventaUnavailable
from clients.pacing import (
    HOLD_WITHOUT_RETRY_AFTER_S,
    RECOVERY_S,
    SLOWER_AFTER_429,
    PacedTransport,
    RequestPace,
    retry_after_s,
)
from settings import Settings
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


def _no_earlier_than_their_turns(sent: list[float]) -> None:
    """The n-th request of a burst leaves no earlier than n intervals after the first."""
    ordered = sorted(sent)
    for n, at in enumerate(ordered):
        assert at - ordered[0] >= n / PER_SECOND - SLACK_S, (n, at - ordered[0])


async def test_requests_sent_together_take_turns_one_interval_apart() -> None:
    sent: list[float] = []
    async with _recording_client(sent) as http:
        await asyncio.gather(*(http.get("http://maventa.invalid/v1/company") for _ in range(12)))

    assert len(sent) == 12
    _no_earlier_than_their_turns(sent)


async def test_time_spent_idle_is_not_saved_up_for_a_burst() -> None:
    sent: list[float] = []
    async with _recording_client(sent) as http:
        await http.get("http://maventa.invalid/v1/company")
        await asyncio.sleep(10 / PER_SECOND)
        await asyncio.gather(*(http.get("http://maventa.invalid/v1/company") for _ in range(4)))

    assert len(sent) == 5
    _no_earlier_than_their_turns(sent[1:])


async def test_a_stalled_event_loop_does_not_bunch_more_than_the_pace_into_one_second() -> None:
    pace = RequestPace(PER_SECOND)
    loop = asyncio.get_running_loop()
    departed: list[float] = []

    async def request() -> None:
        await pace.wait_turn()
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

    assert first.status_code == 429
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
    await pace.wait_turn()
    assert loop.time() - held_at >= HOLD_WITHOUT_RETRY_AFTER_S - SLACK_S


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert retry_after_s("2") == 2.0
    assert retry_after_s("-1") == 0.0
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_s("soon") is None
    assert retry_after_s(None) is None


def test_a_pace_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        RequestPace(0)


def test_each_process_paces_at_its_share_of_the_budget() -> None:
    assert Settings(maventa_requests_per_second=19.0).maventa_requests_per_second_per_process == 19.0
    shared = Settings(maventa_requests_per_second=19.0, maventa_worker_processes=4)
    assert shared.maventa_requests_per_second_per_process == pytest.approx(4.75)
    assert Settings().maventa_requests_per_second_per_process is None


async def _burst(
    maventa: MaventaSandbox, tmp_path: Path, creds: MaventaCredentials, budget: float = 0.0
) -> int:
    """20 requests at once through the worker's Maventa client; how many Maventa refused with 429."""
    settings = Settings(
        data_dir=tmp_path,
        maventa_base_url=maventa.url,
        maventa_vendor_api_key=SecretStr(VENDOR_KEY),
        maventa_requests_per_second=budget,
    )
    async with open_dependencies(settings) as dependencies:
        answers = await asyncio.gather(
            *(dependencies.maventa.list_profiles(creds) for _ in range(20)), return_exceptions=True
        )
    refused = [a for a in answers if isinstance(a, MaventaUnavailable) and a.status == 429]
    assert len(refused) == sum(isinstance(a, BaseException) for a in answers), answers
    return len(refused)


async def test_a_worker_with_a_budget_stays_under_maventas_limit(
    maventa: MaventaSandbox, tmp_path: Path
) -> None:
    _, creds = await maventa.account()
    await maventa.control("PUT", "/faults", json={"rate_limit_per_s": 10})
    try:
        assert await _burst(maventa, tmp_path, creds) > 0, "without a budget the burst must hit the limit"
        await asyncio.sleep(1.1)
        assert await _burst(maventa, tmp_path, creds, budget=5.0) == 0
    finally:
        await maventa.control("DELETE", "/faults")
