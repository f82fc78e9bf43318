"""Issue 23's faults on the running service (two worker processes, the production's sweep pacing): a worker
killed again and again, Netvisor failing or dropping answers for part of a burst, the API killed while
Netvisor retries, Temporal restarted on its file, the store out of reach for 30 s. After each, every received
invoice is in Netvisor once and every sales invoice at Maventa once (tests/reliability/checks.py).

Outcomes only, no timing: the deadlines are generous, but shorter than the sweep's 15-minute backstop, so work
that only the backstop would bring back fails them.
"""

import asyncio

import httpx
import pytest

from tests.clock import billing_months, wall_clock
from tests.recovery.stack import Recovering
from tests.reliability.checks import exactly_once, settled
from tests.reliability.stack import Company, eventually
from workflows.inbox_models import INBOX_WORKFLOW_ID

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

KILLS = 4
SETTLE_S = 150.0
"""Well past a lost worker's timeouts and a few rechecks, far below the 900 s backstop."""
STORE_OUTAGE_S = 30.0
TEMPORAL_AWAY_S = 20.0
"""Longer than the Temporal client's own retries of a call (10 s), so the notices of the invoices that arrive
meanwhile cannot be delivered by those alone."""


def sales_keys(company: Company, label: str, count: int) -> list[str]:
    return [f"{company.company_id}-{label}-{n}" for n in range(count)]


async def netvisor_outbox(service: Recovering, company: Company, keys: list[str]) -> list[int]:
    """Netvisor sending sales invoices: each again, with its same key, until the API gives an answer that is
    not "try again" (a 5xx or no answer at all)."""
    answers = []
    for key in keys:
        while True:
            try:
                response = await service.submit(company, key)
            except httpx.TransportError:
                await asyncio.sleep(0.3)
                continue
            if response.status_code < 500:
                break
            await asyncio.sleep(0.3)
        answers.append(response.status_code)
    return answers


async def _imported_some(
    service: Recovering, companies: list[Company], received: dict[str, list[str]]
) -> bool:
    imported = sum([len(await service.in_netvisor(c)) for c in companies])
    return 0 < imported < sum(len(ids) for ids in received.values())


async def test_a_worker_killed_again_and_again_during_a_burst(
    service: Recovering, companies: list[Company]
) -> None:
    mine = companies[0:2]
    keys = {c.company_id: sales_keys(c, "kill", 5) for c in mine}
    # Slow Netvisor answers keep imports in flight whenever the worker dies.
    await service.netvisor_faults(latency_ms=150)
    received = {c.company_id: await service.arrive(c, 15) for c in mine}
    sending = [asyncio.create_task(netvisor_outbox(service, c, keys[c.company_id])) for c in mine]
    await eventually(lambda: _imported_some(service, mine, received), every_s=0.1)
    kills = 0
    for _ in range(KILLS):
        # The worker importing right now dies: its attempt is lost mid-way and must be taken up by the other.
        busy = await eventually(lambda: service.busy_worker([INBOX_WORKFLOW_ID]), timeout_s=5, every_s=0.05)
        if busy is None:
            break
        await service.kill_and_restart(busy, down_s=0.5)
        kills += 1
    await service.netvisor_faults()
    assert {code for task in sending for code in await task} == {202}

    assert await eventually(lambda: settled(service, mine, received, keys), timeout_s=SETTLE_S)
    await exactly_once(service, mine, received, keys)
    assert kills > 0, "no import was in flight to be lost"


async def test_netvisor_failing_and_dropping_a_fifth_of_a_companys_burst_each(
    service: Recovering, companies: list[Company]
) -> None:
    company = companies[2]
    nothing: dict[str, list[str]] = {company.company_id: []}
    await service.netvisor_faults(error_rate=0.2, status=500, drop_response_rate=0.2)
    try:
        received = {company.company_id: await service.arrive(company, 60)}
        done = await eventually(lambda: settled(service, [company], received, nothing), timeout_s=SETTLE_S)
    finally:
        await service.netvisor_faults()
    assert done, f"{len(await service.in_netvisor(company))} of 60 in Netvisor while the faults were on"
    await exactly_once(service, [company], received, nothing)


async def test_the_api_killed_while_netvisor_sends_again_with_the_same_keys(
    service: Recovering, companies: list[Company]
) -> None:
    company = companies[3]
    keys = sales_keys(company, "api", 10)
    received = await service.arrive(company, 8)
    sending = asyncio.create_task(netvisor_outbox(service, company, keys))

    async def some_accepted() -> bool:
        return len(await service.sent_at_maventa(company)) >= 2

    await eventually(some_accepted, every_s=0.05)
    await service.kill_api()
    # Invoices arrive while no API answers Maventa's notices.
    received += await service.arrive(company, 4)
    await service.devstack.api.start()
    # A submission the API had accepted when it died gets no answer; its repeat is answered 200 (the one
    # already accepted), every other one 202.
    assert set(await sending) <= {200, 202}

    again = await netvisor_outbox(service, company, keys)
    assert set(again) == {200}, "a repeat with the same key is answered as the one already accepted"
    expected = {company.company_id: received}
    assert await eventually(
        lambda: settled(service, [company], expected, {company.company_id: keys}), timeout_s=SETTLE_S
    )
    await exactly_once(service, [company], expected, {company.company_id: keys})


async def test_temporal_stopped_and_started_on_its_file_mid_burst(
    service: Recovering, companies: list[Company]
) -> None:
    mine = companies[4:6]
    keys = {c.company_id: sales_keys(c, "temporal", 5) for c in mine}
    await service.netvisor_faults(latency_ms=150)
    received = {c.company_id: await service.arrive(c, 12) for c in mine}
    for company in mine:
        assert set(await netvisor_outbox(service, company, keys[company.company_id])) == {202}
    await eventually(lambda: _imported_some(service, mine, received), every_s=0.1)
    await service.restart_temporal()
    await service.netvisor_faults()

    assert await eventually(lambda: settled(service, mine, received, keys), timeout_s=SETTLE_S)
    await exactly_once(service, mine, received, keys)

    # Everything settled, so nothing but Maventa's notices can start a round before the backstop: invoices
    # that arrive while Temporal is stopped are imported only if the API keeps the notices it cannot pass on.
    await service.stop_temporal()
    for company in mine:
        received[company.company_id] += await service.arrive(company, 3)
    await asyncio.sleep(TEMPORAL_AWAY_S)
    await service.start_temporal()

    assert await eventually(lambda: settled(service, mine, received, keys), timeout_s=SETTLE_S)
    await exactly_once(service, mine, received, keys)


async def test_the_store_out_of_reach_for_30_seconds(service: Recovering, companies: list[Company]) -> None:
    company = companies[6]
    keys = sales_keys(company, "store", 6)
    received = await service.arrive(company, 10)
    assert set(await netvisor_outbox(service, company, keys[:3])) == {202}
    loop = asyncio.get_running_loop()
    service.cut_store()
    back_at = loop.time() + STORE_OUTAGE_S
    try:
        # Netvisor keeps working meanwhile: it is told to come back, in words, and nothing is half-done.
        this_month = billing_months(service.started_at, wall_clock())[-1]
        month = await service.api.get(f"/v1/companies/{company.company_id}/transactions?month={this_month}")
        answer = await service.submit(company, keys[3])
        received += await service.arrive(company, 5)
        assert loop.time() < back_at, "the requests made during the outage took longer than the outage"
        await asyncio.sleep(back_at - loop.time())
    finally:
        service.restore_store()
    for refused in (answer, month):
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "store_unavailable", refused.text
        assert "cannot reach its database" in refused.json()["error"]["message"]

    assert set(await netvisor_outbox(service, company, keys[3:])) == {202}
    expected = {company.company_id: received}
    assert await eventually(
        lambda: settled(service, [company], expected, {company.company_id: keys}), timeout_s=SETTLE_S
    )
    await exactly_once(service, [company], expected, {company.company_id: keys})
