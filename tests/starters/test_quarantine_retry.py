"""A quarantine retry is a support action like any other: invoices Netvisor rejected are retried once the
cause is fixed, and whoever asks, through the API, the console or the CLI, is recorded in the company's
recent actions (its connection workflow's action log). With the real worker, sandboxes and dev server."""

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from starters import inbound
from store.database import Sessions, reading
from store.received_invoices import get_received_invoice
from tests.sandbox.maventa import serving as maventa
from tests.starters.test_cli import support
from tests.starters.test_connection_end_to_end import (
    NETVISOR,
    SUPPORT,
    Stack,
    company,
    eventually,
    running_stack,
)
from workflows.inbox_models import ReceivedNotice


def _ledger_statuses(stack: Stack, invoice_ids: list[str]) -> list[str | None]:
    sessions = Sessions.for_url(stack.settings.store_url)
    try:
        with reading(sessions) as session:
            rows = [get_received_invoice(session, invoice_id) for invoice_id in invoice_ids]
            return [None if row is None else row.status for row in rows]
    finally:
        sessions.dispose()


def _form_value(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert found is not None, f"no {name} in the form"
    return found.group(1)


async def _console_retry(
    stack: Stack, company_id: str, invoice_id: str, agent: str
) -> tuple[httpx.Response, httpx.Response]:
    """Sign in to the console as `agent` and confirm the retry on its page, as a browser would; the answer
    and the company's page it leads to."""
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as browser:
        login = await browser.get("/support/login")
        signed_in = await browser.post(
            "/support/login",
            data={
                "csrf": _form_value(login, "csrf"),
                "agent": agent,
                "token": SUPPORT["Authorization"].removeprefix("Bearer "),
                "next": "/support/",
            },
        )
        assert signed_in.status_code == 303, signed_in.text
        target = f"/support/companies/{company_id}/quarantine/{invoice_id}/retry"
        confirm = await browser.get(target)
        form = {"csrf": _form_value(confirm, "csrf"), "attempt": _form_value(confirm, "attempt")}
        confirmed = await browser.post(target, data=form)
        return confirmed, await browser.get(f"/support/companies/{company_id}")


async def test_rejected_invoices_are_retried_after_the_fix_and_every_retry_records_who_asked(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    company_id = f"qr-{uuid.uuid4().hex[:8]}"
    bid = maventa.business_id()
    async with running_stack(temporal_env, tmp_path) as stack:
        await stack.api.put(f"/v1/companies/{company_id}", json=company(bid), headers=NETVISOR)

        async def receiving() -> bool:
            view = (await stack.api.get(f"/v1/companies/{company_id}/maventa", headers=NETVISOR)).json()
            return bool(view.get("state") == "RECEIVING")

        await eventually(receiving)
        await stack.maventa.control("POST", f"/companies/{bid}/bank-network/confirm")
        await stack.api.post(
            f"/v1/support/companies/{company_id}/bank-network/check",
            headers={**SUPPORT, "X-Support-User": "tuki"},
        )
        (
            await stack.netvisor.put("/_sandbox/faults", json={"error_rate": 1.0, "status": 400})
        ).raise_for_status()
        invoices = await stack.maventa.receive(bid, channel="PEPPOL", count=3)
        by_api, by_console, by_cli = invoices
        await inbound.wake(stack.temporal, stack.settings, ReceivedNotice())

        async def quarantined() -> bool:
            return _ledger_statuses(stack, invoices) == ["quarantined"] * 3

        await eventually(quarantined, within_s=60)
        (await stack.netvisor.delete("/_sandbox/faults")).raise_for_status()
        path = f"/v1/support/companies/{company_id}/quarantine/{by_api}/retry"

        nameless = await stack.api.post(path, headers=SUPPORT)
        api = await stack.api.post(path, headers={**SUPPORT, "X-Support-User": "api.anna"})
        console, company_page = await _console_retry(stack, company_id, by_console, "Ville Väisänen")
        cli = await support(stack, "quarantine", "retry", company_id, by_cli)

        async def imported() -> bool:
            return _ledger_statuses(stack, invoices) == ["imported"] * 3

        await eventually(imported, within_s=60)
        in_netvisor = (await stack.netvisor.get(f"/_sandbox/companies/{bid}/purchase-invoices")).json()
        again = await stack.api.post(path, headers={**SUPPORT, "X-Support-User": "api.anna"})
        unknown = await stack.api.post(
            f"/v1/support/companies/{company_id}/quarantine/nope/retry",
            headers={**SUPPORT, "X-Support-User": "api.anna"},
        )
        wrong_token = await stack.api.post(
            path, headers={"Authorization": "Bearer wrong", "X-Support-User": "x"}
        )
        listing = (
            await stack.api.get(f"/v1/support/companies/{company_id}/quarantine", headers=SUPPORT)
        ).json()
        status = await support(stack, "status", company_id)
        view: dict[str, Any] = (
            await stack.api.get(f"/v1/support/companies/{company_id}", headers=SUPPORT)
        ).json()

    assert nameless.status_code == 422 and set(nameless.json()["error"]) == {"code", "message", "details"}
    assert "x-support-user" in " ".join(nameless.json()["error"]["details"]).lower()
    assert api.status_code == 202, api.text
    assert api.json() == {"invoice_id": by_api, "status": "queued", "requested_by": "api.anna"}
    assert console.status_code == 303, console.text
    assert console.headers["location"] == f"/support/companies/{company_id}"
    recent = company_page.text[company_page.text.index("Recent actions") :]
    assert re.search(r"Retry a quarantined invoice</td><td>Ville Väisänen</td>", recent), (
        "who asked, on the page"
    )
    assert cli.exit_code == 0 and f"Invoice {by_cli}: queued, asked by cli.agent" in cli.output

    assert sorted(invoice_ids(in_netvisor)) == sorted(invoices), "each retried invoice is in Netvisor once"
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_quarantined"
    assert unknown.status_code == 404 and wrong_token.status_code == 401
    assert listing["invoices"] == []

    retries = [
        (action["requested_by"], action["answer"]["message"].split()[1])
        for action in view["account"]["recent_actions"]
        if action["action"] == "retry_quarantined_invoice"
    ]
    assert retries == [("api.anna", by_api), ("Ville Väisänen", by_console), ("cli.agent", by_cli)]
    assert "cli.agent" in status.output and "retry_quarantined_invoice" in status.output


def invoice_ids(rows: list[dict[str, Any]]) -> list[str]:
    """The Maventa invoice ids Netvisor's purchase invoices name in their comments."""
    return [match[1] for row in rows if (match := re.search(r"Maventa invoice id: (\S+)", row["comment"]))]
