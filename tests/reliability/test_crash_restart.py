"""Crash and restart: the worker killed (SIGKILL) in the middle of imports and uploads, the Temporal dev
server restarted on its SQLite file, the API restarted between submissions. Nothing lost, nothing twice.
"""

import asyncio

import pytest

from tests.reliability.checks import exactly_once, settled
from tests.reliability.stack import Company, Service, eventually

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

IN_PER_COMPANY = 10
OUT_PER_COMPANY = 5
SETTLE_S = 90.0
RESUMED_WITHIN_S = 30.0


async def _work(
    service: Service, companies: list[Company], label: str
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    received = {c.company_id: await service.arrive(c, IN_PER_COMPANY) for c in companies}
    keys = {c.company_id: [f"{c.company_id}-{label}-{n}" for n in range(OUT_PER_COMPANY)] for c in companies}
    for company in companies:
        assert set(await service.submit_all(company, keys[company.company_id])) == {202}
    return received, keys


async def _some_but_not_all(
    service: Service, companies: list[Company], received: dict[str, list[str]]
) -> bool:
    imported = sum([len(await service.in_netvisor(c)) for c in companies])
    uploaded = sum([len(await service.sent_at_maventa(c)) for c in companies])
    return 0 < imported < sum(len(ids) for ids in received.values()) and uploaded > 0


async def test_a_worker_killed_mid_import_loses_and_doubles_nothing(service: Service) -> None:
    companies = await service.found(2)
    keys = {c.company_id: [f"{c.company_id}-import-{n}" for n in range(OUT_PER_COMPANY)] for c in companies}
    for company in companies:
        assert set(await service.submit_all(company, keys[company.company_id])) == {202}
    nothing_received: dict[str, list[str]] = {c.company_id: [] for c in companies}
    assert await eventually(lambda: settled(service, companies, nothing_received, keys), timeout_s=SETTLE_S)
    # Slow answers keep imports in flight when the worker dies.
    await service.netvisor_faults(latency_ms=300)
    received = {c.company_id: await service.arrive(c, IN_PER_COMPANY) for c in companies}

    assert await eventually(lambda: _some_but_not_all(service, companies, received), every_s=0.1)
    service.kill_worker()
    imported_when_killed = sum([len(await service.in_netvisor(c)) for c in companies])
    await service.netvisor_faults()
    await service.start_worker()

    assert await eventually(lambda: settled(service, companies, received, keys), timeout_s=SETTLE_S)
    figures = await exactly_once(service, companies, received, keys)
    assert 0 < imported_when_killed < figures.invoices_in


async def test_a_worker_killed_mid_send_resumes_the_uploads_soon(service: Service) -> None:
    [company] = await service.found(1)
    keys = {company.company_id: [f"{company.company_id}-send-{n}" for n in range(OUT_PER_COMPANY)]}
    nothing_received: dict[str, list[str]] = {company.company_id: []}
    # Every upload takes 1.5 s, so all of them are in flight when the worker dies.
    await service.maventa_faults(latency_ms=1500, paths=["/v1/invoices"])
    assert set(await service.submit_all(company, keys[company.company_id])) == {202}
    await asyncio.sleep(0.5)
    service.kill_worker()
    await service.maventa_faults()
    await service.start_worker()

    delivered = await eventually(
        lambda: settled(service, [company], nothing_received, keys), timeout_s=RESUMED_WITHIN_S
    )
    assert delivered, f"uploads lost with the worker were not resumed within {RESUMED_WITHIN_S:.0f} s"
    await exactly_once(service, [company], nothing_received, keys)


async def test_temporal_restarted_on_its_file_mid_batch_loses_and_doubles_nothing(service: Service) -> None:
    companies = await service.found(2)
    await service.netvisor_faults(latency_ms=200)
    received, keys = await _work(service, companies, "temporal")

    assert await eventually(lambda: _some_but_not_all(service, companies, received), every_s=0.1)
    await service.restart_temporal()
    await service.netvisor_faults()

    assert await eventually(lambda: settled(service, companies, received, keys), timeout_s=SETTLE_S)
    await exactly_once(service, companies, received, keys)


async def test_an_api_restart_between_submissions_doubles_nothing(service: Service) -> None:
    [company] = await service.found(1)
    keys = [f"{company.company_id}-api-{n}" for n in range(2 * OUT_PER_COMPANY)]
    first, second = keys[:OUT_PER_COMPANY], keys[OUT_PER_COMPANY:]
    assert set(await service.submit_all(company, first)) == {202}

    await service.restart_api()
    again = [(await service.submit(company, key)) for key in first]
    assert set(await service.submit_all(company, second)) == {202}

    assert {answer.status_code for answer in again} == {200}
    assert all(answer.json()["duplicate"] for answer in again)
    received: dict[str, list[str]] = {company.company_id: []}
    assert await eventually(lambda: settled(service, [company], received, {company.company_id: keys}))
    await exactly_once(service, [company], received, {company.company_id: keys})
