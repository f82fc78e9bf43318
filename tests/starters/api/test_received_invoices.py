"""Manual transfer (R11) over HTTP: a month's invoices from Maventa, a page at a time, and the chosen ones
moved."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from temporalio.client import Client

from tests.inbound.harness import Inbound, Receiver, eventually, inbound_stack

JANUARY = {"from": "2025-01-01", "to": "2025-01-31"}


@pytest_asyncio.fixture(loop_scope="session")
async def stack(temporal_client: Client, task_queue: str, tmp_path: Path) -> AsyncIterator[Inbound]:
    async with inbound_stack(temporal_client, task_queue, tmp_path) as running:
        yield running


async def _handled(stack: Inbound, count: int) -> bool:
    return sum(state == "HANDLED" for state in (await stack.queue_state()).values()) >= count


async def test_a_month_of_250_invoices_is_listed_and_chosen_ones_are_moved(stack: Inbound) -> None:
    company = await stack.company(state="LINKED", mode="off")
    other = await stack.company()
    many = await stack.arrive(
        company, "OPERATOR", count=250, received_at=datetime(2025, 1, 15, 9, tzinfo=UTC)
    )
    # 00:30 in Finland on 1 January and on 1 February: in January, and not in January.
    [new_year] = await stack.arrive(company, "SCAN", received_at=datetime(2024, 12, 31, 22, 30, tzinfo=UTC))
    [february] = await stack.arrive(
        company, "OPERATOR", received_at=datetime(2025, 1, 31, 22, 30, tzinfo=UTC)
    )
    [not_theirs] = await stack.arrive(other, "OPERATOR", received_at=datetime(2025, 1, 15, tzinfo=UTC))
    async with stack.worker(), stack.api() as api:
        await stack.start()
        assert await eventually(lambda: _handled(stack, 253), timeout_s=120)
        assert await stack.in_netvisor(company) == [], "import mode off: nothing goes by itself"

        path = f"/v1/companies/{company.company_id}/maventa/received-invoices"
        pages = await _pages(api, path)
        assert [len(page["invoices"]) for page in pages] == [100, 100, 51]
        rows = [row for page in pages for row in page["invoices"]]
        assert {row["id"] for row in rows} == {*many, new_year}
        assert not any(row["in_netvisor"] for row in rows)
        first = rows[0]
        assert set(first) >= {
            "id",
            "number",
            "sender",
            "received_at",
            "sum",
            "currency",
            "origin",
            "in_netvisor",
        }
        assert first["sender"]["name"] and first["sender"]["business_id"]

        chosen = [many[0], many[100], new_year]
        queue = f"/v1/companies/{company.company_id}/maventa/received-invoices/queue"
        answer = await api.post(queue, json={"invoice_ids": [*chosen, "no-such-invoice", not_theirs]})
        assert answer.status_code == 202, answer.text
        assert answer.json() == {
            "queued": chosen,
            "already_in_netvisor": [],
            "unknown": ["no-such-invoice", not_theirs],
        }
        assert await eventually(lambda: _count(stack, company, 3))
        again = await api.post(queue, json={"invoice_ids": [many[0], many[1]]})
        assert again.json()["already_in_netvisor"] == [many[0]] and again.json()["queued"] == [many[1]]
        assert await eventually(lambda: _count(stack, company, 4))

        relisted = [row for page in await _pages(api, path) for row in page["invoices"]]
        assert {row["id"] for row in relisted if row["in_netvisor"]} == {*chosen, many[1]}
    assert february not in {row["id"] for row in rows}
    assert len(await stack.in_netvisor(company)) == 4
    scanned = stack.ledger(new_year)
    assert scanned is not None and scanned.channel == "SCAN"


async def test_periods_that_cannot_be_listed_say_why(stack: Inbound) -> None:
    company = await stack.company()
    send_only = await stack.company(state="SEND_ONLY")
    async with stack.api() as api:
        path = f"/v1/companies/{company.company_id}/maventa/received-invoices"
        reversed_period = await api.get(path, params={"from": "2025-02-01", "to": "2025-01-01"})
        assert reversed_period.status_code == 422
        assert reversed_period.json()["error"]["code"] == "invalid_period"
        assert "after" in reversed_period.json()["error"]["message"]
        too_long = await api.get(path, params={"from": "2024-01-01", "to": "2025-02-01"})
        assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "period_too_long"
        assert (
            "367" not in too_long.json()["error"]["message"]
            and "398 days" in too_long.json()["error"]["message"]
        )
        leap_year = await api.get(path, params={"from": "2024-01-01", "to": "2024-12-31"})
        assert leap_year.status_code == 200
        assert leap_year.json() == {"invoices": [], "next_page": None}
        assert (await api.get(path, params={"from": "2025-01-01"})).status_code == 422
        elsewhere = await api.get(
            f"/v1/companies/{send_only.company_id}/maventa/received-invoices", params=JANUARY
        )
        assert elsewhere.status_code == 409 and elsewhere.json()["error"]["code"] == "not_receiving"
        unknown = await api.get("/v1/companies/nobody/maventa/received-invoices", params=JANUARY)
        assert unknown.status_code == 404
        api.headers["Authorization"] = "Bearer wrong"
        assert (await api.get(path, params=JANUARY)).status_code == 401


async def _pages(api: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
    """Every page of a period's listing, following next_page."""
    pages: list[dict[str, Any]] = []
    page: int | None = 1
    while page is not None:
        answer = await api.get(path, params={**JANUARY, "page": page})
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        page = answer.json()["next_page"]
    return pages


async def _count(stack: Inbound, company: Receiver, count: int) -> bool:
    return len(await stack.in_netvisor(company)) >= count
