"""The support console in Debian's chromium, against the whole running service: an agent signs in, finds
companies, and takes the support actions of docs/support.md from the keyboard, each after its confirmation.
"""

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, Response, expect

from tests.browser.companies import UTF8_NAME, ExistingAccount, state_of
from tests.browser.conftest import NARROW, WIDE
from tests.reliability.stack import SUPPORT_TOKEN, Company, Service, eventually

pytestmark = pytest.mark.timeout(300)
"""The first test also waits for the whole service to start."""
AGENT = "anna.agent"
BROKEN = (
    '<?xml version="1.0" encoding="UTF-8"?><Finvoice Version="3.0"><SellerPartyDetails>'
    "<SellerOrganisationName>Rikki Oy</SellerOrganisationName></SellerPartyDetails>"
    "<InvoiceDetails><InvoiceNumber>BROKEN-1</InvoiceNumber></InvoiceDetails></Finvoice>"
)


def api(service: Service, path: str) -> str:
    return f"http://127.0.0.1:{service.settings.api_port}{path}"


async def sign_in(page: Page, service: Service, agent: str = AGENT) -> None:
    await page.goto(api(service, "/support/login"))
    await page.get_by_label("Your agent id").fill(agent)
    await page.get_by_label("Support token").fill(SUPPORT_TOKEN)
    await page.get_by_role("button", name=re.compile("^Sign in")).click()
    await expect(page.get_by_text("Signed in as")).to_contain_text(agent)


def html_sources(page: Page) -> list[str]:
    """The source of every HTML page the browser receives from now on."""
    sources: list[str] = []

    async def keep(response: Response) -> None:
        if "text/html" in (response.headers.get("content-type") or "") and response.status != 303:
            sources.append(await response.text())

    page.on("response", keep)
    return sources


async def no_horizontal_scroll(page: Page) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


async def test_signing_in_needs_the_token_and_signing_out_ends_the_session(
    page: Page, service: Service
) -> None:
    await page.goto(api(service, "/support/companies/anything"))
    await expect(page).to_have_url(re.compile(r"/support/login\?next="))
    await page.get_by_label("Your agent id").fill(AGENT)
    await page.get_by_label("Support token").fill("not-the-token")
    await page.get_by_role("button", name=re.compile("^Sign in")).click()
    await expect(page.get_by_role("alert")).to_have_text("That is not the support token.")

    await sign_in(page, service)
    await expect(page.get_by_label(re.compile("^Netvisor company id"))).to_be_focused()
    await page.set_viewport_size(NARROW)
    assert await no_horizontal_scroll(page), "the search page scrolls sideways at 390 px"
    await page.set_viewport_size(WIDE)
    cookies = {c["name"]: c for c in await page.context.cookies() if c["name"] == "codec_ui_session"}
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_text("You are signed out.")).to_be_visible()
    await page.goto(api(service, "/support/"))

    assert cookies["codec_ui_session"]["httpOnly"] and cookies["codec_ui_session"]["sameSite"] == "Strict"
    await expect(page).to_have_url(re.compile(r"/support/login"))


async def test_a_quarantined_invoice_is_retried_after_its_cause_is_fixed(
    page: Page, service: Service, connected: Company
) -> None:
    company = connected
    await service.netvisor_faults(error_rate=1.0, status=400)
    try:
        [invoice_id] = await service.arrive(company, 1)

        async def quarantined() -> list[dict[str, Any]]:
            listed = await service.support.get(f"/v1/support/companies/{company.company_id}/quarantine")
            return list(listed.json()["invoices"])

        assert await eventually(quarantined, timeout_s=30), (
            "Netvisor's refusal did not quarantine the invoice"
        )
    finally:
        await service.netvisor_faults()

    await sign_in(page, service)
    await page.goto(api(service, f"/support/companies/{company.company_id}"))
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    row = page.get_by_role("row").filter(has_text=invoice_id)
    await expect(row).to_contain_text("Netvisor rejected")
    await row.get_by_role("link", name=re.compile("^Retry")).click()
    await expect(page.get_by_role("heading", name=f"Retry quarantined invoice {invoice_id}")).to_be_visible()
    await expect(page.get_by_text("returns to quarantine with the new reason")).to_be_visible()
    await page.get_by_role("button", name="Import it again").click()

    await expect(page.get_by_role("status")).to_contain_text(f"Invoice {invoice_id} is queued")
    assert await eventually(lambda: service.in_netvisor(company), timeout_s=30), "not imported after retry"
    await page.reload()
    await expect(page.get_by_role("region", name="Quarantined received invoices")).to_contain_text("None.")
    retried = page.get_by_role("region", name="Recent actions").get_by_role("row").filter(has_text=invoice_id)
    await expect(retried).to_contain_text("Retry a quarantined invoice")
    await expect(retried.get_by_role("cell").nth(2)).to_have_text(AGENT)


async def test_an_existing_account_is_found_and_linked_by_keys_from_the_keyboard(
    page: Page, service: Service, existing: ExistingAccount, screenshots: Path
) -> None:
    company_id, bid, keys = existing.company_id, existing.business_id, existing.keys
    sources = html_sources(page)
    await sign_in(page, service)

    await page.get_by_label("Show").select_option("EXISTING_ACCOUNT")
    await page.get_by_role("button", name="Find").click()
    await expect(page.get_by_role("link", name=UTF8_NAME)).to_be_visible()
    await page.screenshot(path=screenshots / "console-search.png")
    await page.get_by_role("link", name=UTF8_NAME).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(UTF8_NAME)
    await expect(page.get_by_text(f"business id {bid}")).to_be_visible()

    await page.get_by_role("link", name=re.compile("^Link the existing account")).focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="What will happen")).to_be_visible()
    await page.keyboard.type(keys["company_uuid"])  # the first field has the focus
    await page.keyboard.press("Tab")
    await page.keyboard.type("not-the-right-key-123")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text(
        "Maventa did not accept this company UUID and API key"
    )
    await expect(page.get_by_role("alert")).to_contain_text("Nothing was changed.")
    assert await state_of(service, company_id) == "EXISTING_ACCOUNT"

    await page.get_by_label(re.compile("API key")).fill(keys["user_api_key"])
    await page.get_by_label(re.compile("API key")).press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("DONE (LINKED)")
    await expect(page.get_by_text("LINKED").first).to_be_visible()
    await expect(page.get_by_role("definition").filter(has_text=keys["user_api_key"][-4:])).to_have_text(
        re.compile(r"^\*+" + re.escape(keys["user_api_key"][-4:]) + "$")
    )
    lifecycle = page.get_by_role("region", name="Lifecycle")
    await expect(lifecycle).to_contain_text(f"Link the existing account by its keys asked by {AGENT}")
    await expect(lifecycle).to_contain_text("State LINKED")
    await page.screenshot(path=screenshots / "console-company.png", full_page=True)

    await page.set_viewport_size(NARROW)
    await page.reload()
    assert await no_horizontal_scroll(page), "the company page scrolls sideways at 390 px"
    await page.screenshot(path=screenshots / "console-company-390.png", full_page=True)
    await page.set_viewport_size(WIDE)

    assert await state_of(service, company_id) == "LINKED"
    sources.append(await page.content())
    assert len(sources) >= 5
    assert not [source for source in sources if keys["user_api_key"] in source], "the key is in a page"
    assert all(UTF8_NAME in source for source in sources[-2:])


async def test_a_connected_company_is_released_after_confirming(
    page: Page, service: Service, to_release: Company, screenshots: Path
) -> None:
    company = to_release
    await sign_in(page, service)
    await page.get_by_label(re.compile("^Netvisor company id")).fill(company.business_id.replace("-", ""))
    await page.get_by_label(re.compile("^Netvisor company id")).press("Enter")
    await page.get_by_role("link", name=f"Luotettava {company.business_id} Oy").click()
    await page.get_by_role("link", name="Release the account (R15)").click()

    await expect(page.get_by_text("it comes back only by a rejoin")).to_be_visible()
    await page.screenshot(path=screenshots / "console-confirm-release.png")
    assert await state_of(service, company.company_id) == "CONNECTED", "nothing happens before confirming"
    await page.get_by_role("button", name="Release the account").click()

    await expect(page.get_by_role("status")).to_contain_text("DONE (RELEASED)")
    released = page.get_by_role("region", name="Released")
    await expect(released).to_contain_text(AGENT)
    await expect(released).to_contain_text(company.maventa_uuid)
    assert await state_of(service, company.company_id) == "RELEASED"


async def test_a_form_without_its_csrf_token_changes_nothing(
    page: Page, service: Service, connected: Company
) -> None:
    company = connected
    await sign_in(page, service)
    path = f"/support/companies/{company.company_id}/release"

    without = await page.request.post(api(service, path), form={"attempt": "x" * 20})
    wrong = await page.request.post(api(service, path), form={"attempt": "x" * 20, "csrf": "0" * 64})

    assert without.status == wrong.status == 403
    assert "nothing was done" in await without.text()
    assert await state_of(service, company.company_id) == "CONNECTED"


async def confirm(page: Page, action: str, button: str) -> None:
    await page.get_by_role("link", name=action).click()
    await expect(page.get_by_role("heading", name="What will happen")).to_be_visible()
    await page.get_by_role("button", name=button).click()


async def test_every_other_support_action_from_the_console(
    page: Page, service: Service, declining: ExistingAccount, connected: Company
) -> None:
    await sign_in(page, service)
    await page.goto(api(service, f"/support/companies/{declining.company_id}"))
    await confirm(page, "Decline linking (R13)", "Decline")
    await expect(page.get_by_role("status")).to_contain_text("DONE (NOT_LINKED)")
    await page.get_by_role("link", name="Make send-only (R14)").click()
    await page.get_by_role("button", name="Make send-only").click()
    await expect(page.get_by_role("alert")).to_contain_text("Send-only needs the account's keys")
    await page.get_by_label(re.compile("company UUID")).fill(declining.company_uuid)
    await page.get_by_label(re.compile("API key")).fill(declining.user_api_key)
    await page.get_by_role("button", name="Make send-only").click()
    await expect(page.get_by_role("status")).to_contain_text("DONE (SEND_ONLY)")
    assert await state_of(service, declining.company_id) == "SEND_ONLY"

    await page.goto(api(service, f"/support/companies/{connected.company_id}"))
    await confirm(page, "Check the bank network now", "Ask Maventa now")
    await expect(page.get_by_role("status")).to_contain_text("(CONNECTED)")
    await confirm(page, "Retry the failed step", "Retry")
    await expect(page.get_by_role("alert")).to_contain_text("The service refused (action_refused)")
    await page.get_by_role("link", name="Run billing").click()
    await expect(page.get_by_label("Month (YYYY-MM)")).to_have_value(re.compile(r"^\d{4}-\d{2}$"))
    await page.get_by_role("button", name="Run the billing").click()
    await expect(page.get_by_role("status")).to_contain_text(re.compile(r"Service billing of \d{4}-\d{2}: "))
    await expect(page.get_by_role("heading", name="Find a company")).to_be_visible()
