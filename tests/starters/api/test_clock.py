"""The API's rules about today read its clock (starters/api/clock.py): from every clock start, the day after
the clock's today is refused as an import date and the clock's month cannot be billed yet, while today itself
is a valid import date."""

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from domain.banking_days import helsinki_date
from settings import Settings
from starters.api import clock
from starters.api.app import create_app
from store.ledger import billing_month
from tests.clock import ClockStart, wall_clock
from tests.support import serving

NETVISOR = {"Authorization": "Bearer test-netvisor-token"}
SUPPORT = {"Authorization": "Bearer test-support-token", "X-Support-User": "agent.anna"}


@pytest.fixture
def today(clock_start: ClockStart) -> datetime:
    return clock_start.at(wall_clock()) or wall_clock()


@pytest_asyncio.fixture(loop_scope="session")
async def api(
    tmp_path: Path, temporal_env: WorkflowEnvironment, today: datetime
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'store.db'}",
        temporal_address=temporal_env.client.service_client.config.target_host,
        api_netvisor_token="test-netvisor-token",
        api_support_token="test-support-token",
    )
    app = create_app(settings)
    app.dependency_overrides[clock.now] = lambda: today
    async with serving(app) as base_url, httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        yield http


@pytest.mark.calendar
async def test_tomorrow_is_no_import_date_and_this_month_cannot_be_billed(
    api: httpx.AsyncClient, today: datetime
) -> None:
    path = "/v1/companies/no-such-company/maventa/import"
    tomorrow = helsinki_date(today) + timedelta(days=1)

    too_late = await api.put(path, json={"mode": "from_date", "from_date": str(tomorrow)}, headers=NETVISOR)
    on_time = await api.put(
        path, json={"mode": "from_date", "from_date": str(helsinki_date(today))}, headers=NETVISOR
    )
    unfinished = await api.post(f"/v1/support/billing/{billing_month(today)}", headers=SUPPORT)

    assert too_late.status_code == 422, too_late.text
    assert f"from_date {tomorrow} is in the future" in too_late.json()["error"]["message"]
    assert on_time.status_code == 404, "today is a valid import date; the company is unknown"
    assert (unfinished.status_code, unfinished.json()["error"]["code"]) == (422, "month_not_over")
