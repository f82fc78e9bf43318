"""The Temporal UI of `make run` in Debian's chromium: payloads show encrypted to everybody, and decoded in
the browser of an agent signed in at /codec/ui/login (devstack/ui_proxy.py puts the codec endpoint on the
UI's own origin, so no setting in the UI is needed); the search attribute filter finds companies by state."""

import re
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.companies import UTF8_NAME, ExistingAccount, state_of
from tests.browser.test_console import api
from tests.reliability.stack import SUPPORT_TOKEN, Company, Service

pytestmark = pytest.mark.timeout(300)
UI_LOADS_S = 90_000
"""The UI's first load is some 260 requests of script; on a busy 2-core machine that takes a while."""


async def find(page: Page, query: str) -> None:
    """The workflow list filtered by a query, typed as an operator would."""
    field = page.get_by_test_id("workflow-manual-search-input")
    if not await field.is_visible():
        await page.get_by_test_id("toggle-manual-query").click()
    await field.fill(query)
    await field.press("Enter")


async def test_the_ui_decodes_only_after_signing_in_and_filters_by_state(
    temporal_ui: Page, service: Service, connected: Company, existing: ExistingAccount, screenshots: Path
) -> None:
    """On the company the console test linked (linked here if that test did not run)."""
    company_id, bid, keys = existing.company_id, existing.business_id, existing.keys
    if await state_of(service, company_id) == "EXISTING_ACCOUNT":
        linked = await service.api.put(f"/v1/companies/{company_id}/maventa/api-keys", json=keys)
        assert linked.status_code == 200, linked.text
    workflow = f"maventa-connection-{company_id}"
    page = temporal_ui
    await find(page, f'NetvisorCompanyId="{company_id}"')
    await page.get_by_role("link", name=workflow).click()
    await expect(page.get_by_test_id("data-encoder-status-error")).to_be_visible(timeout=UI_LOADS_S)
    await expect(page.locator("#content").get_by_text("Codec Server could not connect")).to_be_visible()
    ciphertext = re.compile(r"[A-Za-z0-9+/]{60}")
    await expect(page.get_by_test_id("input-and-result")).to_contain_text(ciphertext)
    anonymous = await page.content()

    sign_in = await page.context.new_page()  # the same browser profile, so the same cookies
    await sign_in.goto(api(service, "/codec/ui/login"))
    await sign_in.get_by_label("Support token").fill(SUPPORT_TOKEN)
    await sign_in.get_by_role("button", name="Sign in for 8 hours").click()
    await expect(sign_in.get_by_text("payloads show decoded here only")).to_be_visible()
    await sign_in.close()

    # Within the UI (no reload): the list filtered by the state's search attribute, then the company.
    await page.get_by_test_id("back-to-workflows").click()
    await find(page, 'MaventaState="CONNECTED"')
    await expect(page.get_by_role("link", name=f"maventa-connection-{connected.company_id}")).to_be_visible()
    await expect(page.get_by_role("link", name=workflow)).to_have_count(0)
    await page.screenshot(path=screenshots / "temporal-ui-filter.png")
    await find(page, f'NetvisorCompanyId="{company_id}"')
    await page.get_by_role("link", name=workflow).click()

    inputs = page.get_by_test_id("input-and-result")
    await expect(inputs).to_contain_text(f'"business_id": "{bid}"', timeout=UI_LOADS_S)
    await expect(inputs).to_contain_text(f'"name": "{UTF8_NAME}"')
    await expect(page.get_by_test_id("data-encoder-status-error")).to_have_count(0)
    await page.screenshot(path=screenshots / "temporal-ui-decoded.png")
    decoded = await page.content()
    await page.get_by_test_id("user-metadata-tab").click()
    # The UI renders the (markdown) current details in a sandboxed frame of their own, after the summary's.
    details = page.frame_locator("iframe").last.get_by_text(
        re.compile(rf"^LINKED · {re.escape(UTF8_NAME)} \({bid}\)$")
    )
    await expect(details).to_be_visible(timeout=UI_LOADS_S)
    await page.screenshot(path=screenshots / "temporal-ui-current-details.png")

    assert bid not in anonymous and UTF8_NAME not in anonymous, (
        "the payloads were readable without signing in"
    )
    for seen in (anonymous, decoded, await page.content()):
        assert keys["user_api_key"] not in seen
