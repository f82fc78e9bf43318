"""`maventa-support list` finds companies as the console does, through the support API's listing (the same
use case, starters/company_search.py), against the API served on a real socket with companies in its store."""

import asyncio
import json
import random
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner, Result

from settings import Settings
from starters.api.app import create_app
from starters.cli import app
from store.companies import CompanyChanges, upsert_company
from store.database import Sessions, unit_of_work
from store.schema import migrate
from tests.support import new_business_id, serving

TOKEN = "cli-search-support-token"
MAVENTA_UUID = "3f2c9a4e-0d1b-4c7e-9a55-6b1e2d3c4f50"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    configured = Settings(
        data_dir=tmp_path, api_support_token=SecretStr(TOKEN), temporal_address="127.0.0.1:1"
    )
    migrate(configured.store_url)
    return configured


def _seed(settings: Settings) -> dict[str, str]:
    """Companies in the states an agent looks for; returns their business ids by company id."""
    rng = random.Random(21)
    companies = {
        "c-existing": CompanyChanges(state="EXISTING_ACCOUNT", lifecycle_state="EXISTING_ACCOUNT"),
        "c-overdue": CompanyChanges(
            state="NEEDS_SUPPORT",
            lifecycle_state="RECEIVING",
            needs_support=True,
            needs_support_reason="Bank network overdue: the banks have not confirmed by the deadline",
        ),
        "c-failed": CompanyChanges(
            state="NEEDS_SUPPORT",
            lifecycle_state="PROVISIONING",
            needs_support=True,
            needs_support_reason="Creating the Maventa account failed",
        ),
        "c-linked": CompanyChanges(state="LINKED", maventa_company_uuid=MAVENTA_UUID),
        **{f"c-connected-{n}": CompanyChanges(state="CONNECTED") for n in range(3)},
    }
    business_ids = {}
    sessions = Sessions.for_url(settings.store_url)
    with unit_of_work(sessions) as store:
        for company_id, changes in companies.items():
            business_ids[company_id] = new_business_id(rng)
            changes.business_id = business_ids[company_id]
            changes.name = f"Yritys {company_id} Oy"
            upsert_company(store, company_id, changes)
    sessions.dispose()
    return business_ids


async def _support(url: str, *args: str) -> Result:
    env = {"MAVENTA_API_URL": url, "API_SUPPORT_TOKEN": TOKEN, "SUPPORT_USER": "cli.agent", "COLUMNS": "250"}
    return await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)


def _listed(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [company["company_id"] for company in json.loads(result.output)["companies"]]


async def test_the_cli_finds_companies_by_every_identifier_and_state_a_page_at_a_time(
    settings: Settings,
) -> None:
    business_ids = _seed(settings)
    digits = business_ids["c-overdue"].replace("-", "")
    async with serving(create_app(settings)) as url:
        by_company_id = await _support(url, "--json", "list", "--find", "c-failed")
        by_business_id = await _support(url, "--json", "list", "--find", business_ids["c-existing"])
        by_vat_number = await _support(url, "--json", "list", "--find", "FI" + digits)
        by_address = await _support(url, "--json", "list", "--find", "0037" + digits)
        by_maventa_id = await _support(url, "--json", "list", "-f", MAVENTA_UUID.upper())
        existing = await _support(url, "--json", "list", "--state", "existing_account")
        needing_support = await _support(url, "--json", "list", "--needs-support")
        overdue = await _support(url, "--json", "list", "--bank-network-overdue")
        overdue_table = await _support(url, "list", "--bank-network-overdue")
        first_page = await _support(url, "list", "--state", "CONNECTED", "--limit", "2")
        first_json = await _support(url, "--json", "list", "--state", "CONNECTED", "--limit", "2")
        next_page = await _support(
            url, "--json", "list", "--state", "CONNECTED", "--limit", "2", "--after", "c-connected-1"
        )
        nobody = await _support(url, "list", "--find", "no-such-company")
        bad_state = await _support(url, "list", "--state", "not a state")

    assert _listed(by_company_id) == ["c-failed"]
    assert _listed(by_business_id) == ["c-existing"]
    assert _listed(by_vat_number) == _listed(by_address) == ["c-overdue"]
    assert _listed(by_maventa_id) == ["c-linked"]
    assert _listed(existing) == ["c-existing"]
    assert _listed(needing_support) == ["c-failed", "c-overdue"]
    assert _listed(overdue) == ["c-overdue"]
    assert "c-overdue" in overdue_table.output and "Bank network overdue" in overdue_table.output
    assert "c-failed" not in overdue_table.output

    assert first_page.exit_code == 0, first_page.output
    assert "2 companies (more on the next page)" in first_page.output
    assert "--after c-connected-1" in first_page.output
    assert json.loads(first_json.output)["next_after"] == "c-connected-1"
    assert _listed(next_page) == ["c-connected-2"] and json.loads(next_page.output)["next_after"] is None
    assert nobody.exit_code == 0 and "0 companies" in nobody.output and "Next page" not in nobody.output
    assert bad_state.exit_code == 1 and "state" in bad_state.output
