"""§3.2 through the HTTP API, with the real worker, sandboxes and dev server: a released company comes
back and its Maventa account is linked again, the keys checked with Maventa first, the import as in R12."""

import html
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.banking_days import HELSINKI, helsinki_date
from tests.clock import wall_clock
from tests.starters.api.test_exceptions import (
    AGENT,
    existing_account_company,
    sandbox_account,
    stored_secrets,
    view_of,
)
from tests.starters.test_connection_end_to_end import NETVISOR, SUPPORT, company, running_stack

SUPPORT_TOKEN = SUPPORT["Authorization"].removeprefix("Bearer ")


async def test_a_released_company_rejoins_with_its_own_keys_and_chosen_import(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running_stack(temporal_env, tmp_path) as stack:
        company_id, bid, keys = await existing_account_company(stack)
        staying, _, _ = await existing_account_company(stack)
        support = f"/v1/support/companies/{company_id}"
        linked = await stack.api.put(
            f"/v1/companies/{company_id}/maventa/api-keys", json=keys, headers=NETVISOR
        )
        released = await stack.api.post(f"{support}/release", headers=AGENT)
        assert linked.status_code == released.status_code == 200, released.text

        future = (helsinki_date(wall_clock()) + timedelta(days=1)).isoformat()
        refusals = {
            "not released": await stack.api.post(
                f"/v1/support/companies/{staying}/rejoin", json=keys, headers=AGENT
            ),
            "wrong key": await stack.api.post(
                f"{support}/rejoin", json={**keys, "user_api_key": "not-the-right-key"}, headers=AGENT
            ),
            "future date": await stack.api.post(
                f"{support}/rejoin", json={**keys, "mode": "from_date", "from_date": future}, headers=AGENT
            ),
        }
        still_released = (await stack.api.get(support, headers=SUPPORT)).json()
        secrets_after_refusals = stored_secrets(stack, company_id)

        asked = {**AGENT, "Idempotency-Key": "rejoin-1"}
        rejoined = await stack.api.post(f"{support}/rejoin", json={**keys, "mode": "now"}, headers=asked)
        repeated = await stack.api.post(f"{support}/rejoin", json={**keys, "mode": "now"}, headers=asked)
        view = (await view_of(stack, company_id)).json()
        at_maventa = await sandbox_account(stack, bid)
        reported = await stack.api.put(f"/v1/companies/{company_id}", json=company(bid), headers=NETVISOR)
        released_again = await stack.api.post(f"{support}/release", headers=AGENT)
        from_day = helsinki_date(wall_clock()) - timedelta(days=3)
        async with httpx.AsyncClient(base_url=str(stack.api.base_url), timeout=30) as browser:
            by_console = await rejoined_in_the_console(browser, company_id, keys, from_day)
        view_after_console = (await view_of(stack, company_id)).json()

    assert refusals["not released"].status_code == 409
    assert (
        "has not left Netvisor (it is EXISTING_ACCOUNT)"
        in refusals["not released"].json()["error"]["message"]
    )
    assert refusals["wrong key"].status_code == 422
    assert refusals["wrong key"].json()["error"]["code"] == "invalid_api_keys"
    assert refusals["future date"].status_code == 422 and "in the future" in refusals["future date"].text
    assert still_released["account"] is None and still_released["released"]["state_before"] == "LINKED"
    assert secrets_after_refusals == [], "refused keys leave nothing in the vault"

    assert rejoined.status_code == 200, rejoined.text
    assert rejoined.json()["state"] == "LINKED" and "back in Netvisor" in rejoined.json()["message"]
    assert "imported automatically" in rejoined.json()["message"]
    assert repeated.json() == rejoined.json(), "the same Idempotency-Key answers the same, acting once"
    assert view["state"] == "LINKED" and view["import_mode"] == "now" and view["sending_allocated"] is True
    assert view["api_key_masked"] == "****" + keys["user_api_key"][-4:]
    assert [a["action"] for a in view["recent_actions"]] == ["rejoin"]
    assert view["recent_actions"][0]["requested_by"] == "agent.anna"
    assert at_maventa["vendor_linked"] is True
    assert reported.status_code == 202, "Netvisor's reports reach the company's new run"
    assert released_again.status_code == 200 and released_again.json()["state"] == "RELEASED"

    assert "LINKED" in by_console and "back in Netvisor" in by_console
    assert view_after_console["state"] == "LINKED" and view_after_console["import_mode"] == "from_date"
    first_moment = datetime.combine(from_day, time(0), tzinfo=HELSINKI)
    assert datetime.fromisoformat(view_after_console["import_from"]) == first_moment
    assert view_after_console["recent_actions"][0]["requested_by"] == "console.agent"


def form_value(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert found is not None, f"no {name} in the form"
    return found.group(1)


async def rejoined_in_the_console(
    browser: httpx.AsyncClient, company_id: str, keys: dict[str, str], from_day: date
) -> str:
    """An agent signs in, opens the rejoin confirmation, types the keys and a date, and confirms; the page
    the console shows next says what the service answered."""
    login = await browser.get("/support/login")
    await browser.post(
        "/support/login",
        data={"csrf": form_value(login, "csrf"), "agent": "console.agent", "token": SUPPORT_TOKEN},
    )
    target = f"/support/companies/{company_id}/rejoin"
    confirm = await browser.get(target)
    assert confirm.status_code == 200 and 'name="mode"' in confirm.text, confirm.text
    done = await browser.post(
        target,
        data={
            "csrf": form_value(confirm, "csrf"),
            "attempt": form_value(confirm, "attempt"),
            **keys,
            "mode": "from_date",
            "from_date": from_day.isoformat(),
        },
        follow_redirects=True,
    )
    assert done.status_code == 200, done.text
    return html.unescape(done.text)
