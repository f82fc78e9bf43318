"""The month-start burst: many companies founded at once while Maventa allows only so many requests a second.

What holds the line is the service's own configuration for a budget at Maventa's limit
(MAVENTA_REQUESTS_PER_SECOND = aim x limit, the other settings at their defaults; with `--founding-only` the
whole stack, API and worker, runs with it as `make run` would): the Maventa task queue's rate limit, which the
server enforces across all workers, starts at most that many activities a second, and the processes calling
Maventa share the budget's places through the store (clients/pacing.py, workers/maventa_budget.py), so the
worker has them all while the API makes no Maventa call. The requests per activity are measured on a few
companies founded first (Maventa requests the sandbox answered / attempts of activities on the Maventa queue,
with no limit at the sandbox), for the report. The Maventa sandbox counts what it answered: the
achieved rate is its successful requests per second over the burst, next to the 429s it gave. The worker's
own metrics give how long Maventa's answers took: each request holds one of the pace's places until a second
after its answer (clients/pacing.py), so the answer time bounds the rate.
"""

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass

import httpx
from sqlmodel import col, func, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.companies import company_body
from bench.stack import Running, new_business_id
from store.companies import Company
from store.database import Sessions, reading
from workflows.connection import workflow_id

AIM = 1.0
"""Fraction of Maventa's limit the budget is set at. The pace gives a request's place back only a second after
its answer, so a stall costs turns but never a 429, and the budget needs no margin below the limit."""
READY_STATE = "ACTIVE"
LIMIT_PER_S = 20.0
"""Maventa's limit as the sandbox enforces it in the burst."""


def budget_setting(limit_per_s: float, aim: float) -> str:
    """MAVENTA_REQUESTS_PER_SECOND for a budget of aim x limit."""
    return f"{limit_per_s * aim:.3f}"


@dataclass(frozen=True)
class FoundingResult:
    companies: int
    limit_per_s: float
    requests_per_activity: float
    activities_per_s: float
    ok_requests: int
    too_many: int
    burst_s: float
    seconds_to_last_account: float
    accounts: int
    seconds_with_429: int
    """Distinct seconds of the burst in which Maventa answered 429: a start-up blip or all along."""
    answered_per_tenth: tuple[int, ...]
    """Successful requests in each tenth of the burst: where the rate fell short of the pace."""
    worker_requests: int
    """Maventa requests the worker made in the burst (its metrics), to set beside what Maventa answered."""
    mean_answer_s: float
    """The worker's mean time from sending a Maventa request to its answer's headers, over the burst."""
    gap_before_429_s: tuple[float, ...]
    """For each 429, the longest pause between two answers in the second before it: a stall that bunched the
    requests queued behind it into Maventa's next second shows here."""

    @property
    def achieved_per_s(self) -> float:
        return self.ok_requests / self.burst_s if self.burst_s else 0.0


def _ready(sessions: Sessions, prefix: str) -> int:
    with reading(sessions) as session:
        query = select(func.count()).where(
            col(Company.company_id).startswith(prefix), col(Company.state) == READY_STATE
        )
        return int(session.exec(query).one())


async def _found_all(running: Running, prefix: str, count: int, within_s: float) -> tuple[list[str], float]:
    """PUT every company at once (20 requests in flight); the seconds until the last account is ready."""
    gate = asyncio.Semaphore(20)
    ids = [f"{prefix}{n:05d}" for n in range(count)]

    async def put(company_id: str) -> None:
        async with gate:
            response = await running.api.put(
                f"/v1/companies/{company_id}", json=company_body(new_business_id(), purchases=False)
            )
        response.raise_for_status()

    sessions = Sessions.for_url(running.settings.store_url)
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    try:
        await asyncio.gather(*(put(c) for c in ids))
        deadline = loop.time() + within_s
        while loop.time() < deadline:
            if await asyncio.to_thread(_ready, sessions, prefix) >= count:
                break
            await asyncio.sleep(0.5)
    finally:
        sessions.dispose()
    return ids, time.perf_counter() - started


async def _attempts_on(client: Client, workflow_ids: list[str], task_queue: str) -> int:
    """Attempts of the activities these workflows scheduled on `task_queue` (retries included)."""

    async def one(workflow_id: str) -> int:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        on_queue: set[int] = set()
        attempts = 0
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                if event.activity_task_scheduled_event_attributes.task_queue.name == task_queue:
                    on_queue.add(event.event_id)
                    attempts += 1
            elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                started = event.activity_task_started_event_attributes
                if started.scheduled_event_id in on_queue:
                    attempts += started.attempt - 1
        return attempts

    return sum(await asyncio.gather(*(one(w) for w in workflow_ids)))


async def _worker_answers(running: Running, within_s: float = 60.0) -> tuple[int, float]:
    """The worker's Maventa requests since it started and their summed answer time (its `/metrics`, which a
    worker just started serves only after a few seconds)."""
    settings = running.settings
    url = f"http://{settings.bind_host}:{settings.metrics_port}/metrics"
    deadline = asyncio.get_running_loop().time() + within_s
    async with httpx.AsyncClient() as http:
        while True:
            try:
                response = await http.get(url)
                break
            except httpx.TransportError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.5)
    response.raise_for_status()
    count, total = 0, 0.0
    for line in response.text.splitlines():
        if 'upstream="maventa"' not in line:
            continue
        if line.startswith("maventa_upstream_request_duration_seconds_count"):
            count += int(float(line.rsplit(" ", 1)[1]))
        elif line.startswith("maventa_upstream_request_duration_seconds_sum"):
            total += float(line.rsplit(" ", 1)[1])
    return count, total


async def _reset_counter(running: Running) -> None:
    (await running.maventa_http.delete("/_sandbox/bench/requests")).raise_for_status()


async def measure_founding(
    running: Running,
    companies: int,
    limit_per_s: float = LIMIT_PER_S,
    calibration: int = 10,
    aim: float = AIM,
) -> FoundingResult:
    await _reset_counter(running)
    calibration_ids, _ = await _found_all(running, f"cal-{uuid.uuid4().hex[:6]}-", calibration, 120.0)
    answered = await running.maventa_requests()
    requests = sum(answered["by_status"].values())
    maventa_queue = running.settings.maventa_task_queue
    attempts = await _attempts_on(running.client, [workflow_id(c) for c in calibration_ids], maventa_queue)
    per_activity = requests / attempts
    budgeted = running.settings.model_copy(update={"maventa_requests_per_second": limit_per_s * aim})

    if running.settings.maventa_requests_per_second != budgeted.maventa_requests_per_second:
        # A stack started without the budget (the full bench's): its worker alone gets it.
        await running.restart_worker(MAVENTA_REQUESTS_PER_SECOND=budget_setting(limit_per_s, aim))
    await running.maventa_faults(rate_limit_per_s=limit_per_s)
    await _reset_counter(running)
    prefix = f"burst-{uuid.uuid4().hex[:6]}-"
    count_before, total_before = await _worker_answers(running)
    try:
        _, seconds = await _found_all(running, prefix, companies, within_s=companies * 2.0)
    finally:
        await running.maventa_faults()
    count_after, total_after = await _worker_answers(running)
    worker_requests = count_after - count_before
    answered = await running.maventa_requests()
    by_status = {int(k): v for k, v in answered["by_status"].items()}
    sessions = Sessions.for_url(running.settings.store_url)
    try:
        accounts = await asyncio.to_thread(_ready, sessions, prefix)
    finally:
        sessions.dispose()
    return FoundingResult(
        companies=companies,
        limit_per_s=limit_per_s,
        requests_per_activity=per_activity,
        activities_per_s=budgeted.maventa_activities_per_second or 0.0,
        ok_requests=sum(v for k, v in by_status.items() if k < 400),
        too_many=by_status.get(429, 0),
        burst_s=(answered["last"] - answered["first"]) if answered["first"] else 0.0,
        seconds_to_last_account=seconds,
        accounts=accounts,
        seconds_with_429=len({int(at - answered["first"]) for at in answered["limited_at"]}),
        answered_per_tenth=_per_tenth(answered["answered_at"], answered["first"], answered["last"]),
        gap_before_429_s=tuple(_gap_before(at, answered["answered_at"]) for at in answered["limited_at"]),
        worker_requests=worker_requests,
        mean_answer_s=(total_after - total_before) / worker_requests if worker_requests else 0.0,
    )


def _gap_before(moment: float, answered_at: list[float]) -> float:
    before = sorted(at for at in answered_at if moment - 1.0 <= at <= moment)
    return max((b - a for a, b in itertools.pairwise(before)), default=0.0)


def _per_tenth(times: list[float], first: float | None, last: float | None) -> tuple[int, ...]:
    if not first or not last or last <= first:
        return ()
    tenths = [0] * 10
    for at in times:
        tenths[min(9, int((at - first) / (last - first) * 10))] += 1
    return tuple(tenths)
