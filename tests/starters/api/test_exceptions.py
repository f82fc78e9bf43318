"""R12-R15 and the import mode through the HTTP API, with the real worker, sandboxes and dev server."""

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from domain.banking_days import helsinki_date
from store.database import Sessions, unit_of_work
from store.vault import StoredSecret
from tests.clock import wall_clock
from tests.starters.test_connection_end_to_end import (
    NETVISOR,
    SUPPORT,
    Stack,
    company,
    eventually,
    running_stack,
)

AGENT = {**SUPPORT, "X-Support-User": "agent.anna"}


def stored_secrets(stack: Stack, company_id: str) -> list[str]:
    """The kinds of vault entry the company has (what a support engineer would look for in the database)."""
    sessions = Sessions.for_url(stack.settings.store_url)
    try:
        with unit_of_work(sessions) as session:
            rows = session.exec(select(StoredSecret).where(StoredSecret.owner == company_id)).all()
            return [row.kind for row in rows]
    finally:
        sessions.dispose()


async def existing_account_company(stack: Stack) -> tuple[str, str, dict[str, str]]:
    """A company whose business id already has a Maventa account outside Netvisor: (id, bid, keys)."""
    bid, creds = await stack.maventa.account()
    company_id = f"ex-{uuid.uuid4().hex[:8]}"
    accepted = await stack.api.put(f"/v1/companies/{company_id}", json=company(bid), headers=NETVISOR)
    assert accepted.status_code == 202

    async def waiting() -> bool:
        view = (await stack.api.get(f"/v1/companies/{company_id}/maventa", headers=NETVISOR)).json()
        return view.get("state") == "EXISTING_ACCOUNT"

    await eventually(waiting)
    keys = {"company_uuid": creds.company_uuid, "user_api_key": creds.user_api_key.get_secret_value()}
    return company_id, bid, keys


async def view_of(stack: Stack, company_id: str) -> httpx.Response:
    return await stack.api.get(f"/v1/companies/{company_id}/maventa", headers=NETVISOR)


async def sandbox_account(stack: Stack, bid: str) -> dict[str, Any]:
    result: dict[str, Any] = await stack.maventa.control("GET", f"/companies/{bid}")
    return result


async def test_link_by_keys_import_and_release(temporal_env: WorkflowEnvironment, tmp_path: Path) -> None:
    async with running_stack(temporal_env, tmp_path) as stack:
        company_id, bid, keys = await existing_account_company(stack)
        _, other_creds = await stack.maventa.account("Toinen Oy")
        path = f"/v1/companies/{company_id}/maventa"

        wrong_key = await stack.api.put(
            f"{path}/api-keys", json={**keys, "user_api_key": "not-the-right-key"}, headers=NETVISOR
        )
        other_company = await stack.api.put(
            f"{path}/api-keys",
            json={
                "company_uuid": other_creds.company_uuid,
                "user_api_key": other_creds.user_api_key.get_secret_value(),
            },
            headers=NETVISOR,
        )
        import_before_link = await stack.api.put(f"{path}/import", json={"mode": "now"}, headers=NETVISOR)
        unchanged = (await view_of(stack, company_id)).json()
        secrets_after_refusals = stored_secrets(stack, company_id)

        linked = await stack.api.put(f"{path}/api-keys", json=keys, headers=NETVISOR)
        linked_view = (await view_of(stack, company_id)).json()
        at_maventa = await sandbox_account(stack, bid)

        future = (helsinki_date(wall_clock()) + timedelta(days=2)).isoformat()
        future_date = await stack.api.put(
            f"{path}/import", json={"mode": "from_date", "from_date": future}, headers=NETVISOR
        )
        bad_mode = await stack.api.put(f"{path}/import", json={"mode": "sometimes"}, headers=NETVISOR)
        now = await stack.api.put(f"{path}/import", json={"mode": "now"}, headers=NETVISOR)

        async def listed_with_import() -> dict[str, Any] | None:
            rows = (await stack.api.get("/v1/support/companies?state=LINKED", headers=SUPPORT)).json()
            return next((r for r in rows["companies"] if r["company_id"] == company_id), None)

        row = await eventually(listed_with_import)

        anonymous_release = await stack.api.post(
            f"/v1/support/companies/{company_id}/release", headers=SUPPORT
        )
        released = await stack.api.post(f"/v1/support/companies/{company_id}/release", headers=AGENT)
        after_release = await sandbox_account(stack, bid)
        secrets_after_release = stored_secrets(stack, company_id)
        later = {
            "GET account": await view_of(stack, company_id),
            "PUT company": await stack.api.put(
                f"/v1/companies/{company_id}", json=company(bid), headers=NETVISOR
            ),
            "PUT import": await stack.api.put(f"{path}/import", json={"mode": "now"}, headers=NETVISOR),
            "PUT api-keys": await stack.api.put(f"{path}/api-keys", json=keys, headers=NETVISOR),
            "decline": await stack.api.post(f"/v1/support/companies/{company_id}/decline", headers=AGENT),
            "retry": await stack.api.post(f"/v1/support/companies/{company_id}/retry", headers=AGENT),
        }
        status = (await stack.api.get(f"/v1/support/companies/{company_id}", headers=SUPPORT)).json()

    assert wrong_key.status_code == 422 and wrong_key.json()["error"]["code"] == "invalid_api_keys"
    assert "nothing was changed" in wrong_key.json()["error"]["message"]
    assert (
        other_company.status_code == 422
        and other_company.json()["error"]["code"] == "keys_of_another_company"
    )
    assert (
        import_before_link.status_code == 409
        and "link it with" in import_before_link.json()["error"]["message"]
    )
    assert unchanged["state"] == "EXISTING_ACCOUNT" and unchanged["api_key_masked"] is None
    assert secrets_after_refusals == [], "refused keys leave nothing in the vault"

    assert linked.status_code == 200 and linked.json()["state"] == "LINKED"
    assert f"PUT /v1/companies/{company_id}/maventa/import" in linked.json()["message"]
    assert linked_view["state"] == "LINKED" and linked_view["sending_allocated"] is True
    assert linked_view["import_mode"] == "off" and "Start importing" in linked_view["next_step"]
    assert linked_view["api_key_masked"] == "****" + keys["user_api_key"][-4:]
    assert linked_view["maventa_company_id"] == keys["company_uuid"]
    assert at_maventa["vendor_linked"] is True

    assert future_date.status_code == 422 and "in the future" in future_date.json()["error"]["message"]
    assert bad_mode.status_code == 422 and "mode" in bad_mode.json()["error"]["message"]
    assert now.status_code == 200 and "imported automatically" in now.json()["message"]
    assert row["import_mode"] == "now"

    assert anonymous_release.status_code == 422 and "x-support-user" in anonymous_release.text.lower()
    assert released.status_code == 200, released.text
    assert (
        released.json()["state"] == "RELEASED"
        and "the Maventa account is the customer's" in released.json()["message"]
    )
    assert after_release["vendor_linked"] is False
    assert secrets_after_release == []
    for call, answer in later.items():
        assert answer.status_code == 410, f"{call}: {answer.text}"
        assert answer.json()["error"]["code"] == "company_released"
        assert "left Netvisor" in answer.json()["error"]["message"]
    assert status["account"] is None and status["released"]["requested_by"] == "agent.anna"
    assert status["released"]["state_before"] == "LINKED" and status["released"]["vendor_unlinked"] is True


async def test_decline_and_send_only_through_support(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with running_stack(temporal_env, tmp_path) as stack:
        declining, declining_bid, _ = await existing_account_company(stack)
        sending, sending_bid, keys = await existing_account_company(stack)
        support = "/v1/support/companies"

        declined, declined_again = await asyncio.gather(
            stack.api.post(f"{support}/{declining}/decline", headers=AGENT),
            stack.api.post(f"{support}/{declining}/decline", headers={**AGENT, "X-Support-User": "agent.bo"}),
        )
        declined_view = (await view_of(stack, declining)).json()
        untouched = await sandbox_account(stack, declining_bid)
        import_refused = await stack.api.put(
            f"/v1/companies/{declining}/maventa/import", json={"mode": "now"}, headers=NETVISOR
        )

        no_keys = await stack.api.post(f"{support}/{sending}/send-only", headers=AGENT)
        half_keys = await stack.api.post(
            f"{support}/{sending}/send-only", json={"company_uuid": keys["company_uuid"]}, headers=AGENT
        )
        send_only = await stack.api.post(f"{support}/{sending}/send-only", json=keys, headers=AGENT)
        send_only_view = (await view_of(stack, sending)).json()
        linked_at_maventa = await sandbox_account(stack, sending_bid)
        decline_refused = await stack.api.post(f"{support}/{sending}/decline", headers=AGENT)
        status = (await stack.api.get(f"{support}/{sending}", headers=SUPPORT)).json()
        not_known = await stack.api.post(f"{support}/nobody-{uuid.uuid4().hex[:6]}/release", headers=AGENT)

    assert declined.status_code == declined_again.status_code == 200
    assert declined.json()["state"] == "NOT_LINKED" and "stays as it is" in declined.json()["message"]
    assert declined_view["sending_allocated"] is False and declined_view["import_mode"] == "off"
    assert "linked later" in declined_view["next_step"]
    assert untouched["vendor_linked"] is False
    assert sorted(a["requested_by"] for a in declined_view["recent_actions"]) == ["agent.anna", "agent.bo"]
    assert (
        import_refused.status_code == 409 and "declined to link" in import_refused.json()["error"]["message"]
    )

    assert no_keys.status_code == 409 and "needs the account's keys" in no_keys.json()["error"]["message"]
    assert half_keys.status_code == 422 and "or neither" in half_keys.json()["error"]["message"]
    assert send_only.status_code == 200 and send_only.json()["state"] == "SEND_ONLY"
    assert send_only_view["sending_allocated"] is True and send_only_view["import_mode"] == "off"
    assert linked_at_maventa["vendor_linked"] is True
    assert decline_refused.status_code == 409 and "release it" in decline_refused.json()["error"]["message"]
    assert status["account"]["state"] == "SEND_ONLY" and status["released"] is None
    assert status["account"]["recent_actions"][-1]["requested_by"] == "agent.anna"
    assert not_known.status_code == 404 and not_known.json()["error"]["code"] == "unknown_company"
