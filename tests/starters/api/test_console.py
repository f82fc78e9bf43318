"""The support console's session, CSRF tokens and pages as a browser meets them, without a running service
(the browser tests in tests/browser take the same pages through every support action)."""

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from security.codec import EncryptionCodec
from security.codec_server import encode_payloads
from settings import Settings
from starters.api.app import create_app
from starters.api.console import session
from starters.api.support_session import COOKIE, session_value
from store.companies import CompanyChanges, upsert_company
from store.database import Sessions, unit_of_work
from store.schema import migrate

TOKEN = "console-test-support-token"
API = "http://127.0.0.1:8700"
PLAIN = {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "eyJhIjoxfQ=="}]}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    configured = Settings(
        data_dir=tmp_path, api_support_token=SecretStr(TOKEN), temporal_address="127.0.0.1:1"
    )
    migrate(configured.store_url)
    return configured


@pytest.fixture
async def browser(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Keeps cookies like a browser; follows no redirect by itself."""
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url=API) as client:
        yield client


def form_value(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert found is not None, f"no {name} in the form"
    return found.group(1)


async def sign_in(browser: httpx.AsyncClient, agent: str = "anna.agent") -> httpx.Response:
    page = await browser.get("/support/login")
    return await browser.post(
        "/support/login",
        data={"csrf": form_value(page, "csrf"), "agent": agent, "token": TOKEN, "next": "/support/"},
    )


def set_cookies(answer: httpx.Response) -> list[str]:
    return answer.headers.get_list("set-cookie")


async def test_every_page_sends_a_browser_without_a_session_to_sign_in(
    browser: httpx.AsyncClient,
) -> None:
    for path in ("/support/", "/support/companies/42", "/support/companies/42/release", "/support/billing"):
        answer = await browser.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/support/login?next=")
    posted = await browser.post("/support/companies/42/release", data={"csrf": "x"})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/support/login")


async def test_signing_in_starts_one_session_for_the_console_and_the_temporal_ui(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    page = await browser.get("/support/login")
    without_form_token = await browser.post(
        "/support/login", data={"agent": "anna.agent", "token": TOKEN, "csrf": "forged-" * 6}
    )
    wrong_token = await browser.post(
        "/support/login", data={"csrf": form_value(page, "csrf"), "agent": "anna.agent", "token": "guess"}
    )
    no_agent = await browser.post(
        "/support/login", data={"csrf": form_value(page, "csrf"), "agent": "", "token": TOKEN}
    )
    signed_in = await sign_in(browser)
    encrypted = await encode_payloads(PLAIN, codec=EncryptionCodec.from_settings(settings))
    decoded = await browser.post("/codec/ui/decode", json=encrypted)

    assert "support_login=" in page.headers["set-cookie"] and 'type="password"' in page.text
    assert without_form_token.status_code == 403 and "CSRF" in without_form_token.text
    assert wrong_token.status_code == 401 and "That is not the support token." in wrong_token.text
    assert no_agent.status_code == 401 and "agent id" in no_agent.text
    for refused in (without_form_token, wrong_token, no_agent):
        assert not any(c.startswith(COOKIE) for c in set_cookies(refused))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/support/"
    cookies = [c.lower() for c in set_cookies(signed_in)]
    session_cookies = [c for c in cookies if c.startswith(COOKIE)]
    assert {re.search(r"path=([^;]+)", c).group(1) for c in session_cookies} == {"/codec/ui", "/support"}  # type: ignore[union-attr]
    for cookie in cookies:
        assert "httponly" in cookie and TOKEN not in cookie
    for cookie in session_cookies + [c for c in cookies if c.startswith("support_agent=")]:
        assert "samesite=strict" in cookie and "max-age=28800" in cookie
    assert decoded.status_code == 200 and decoded.json() == PLAIN, "the console's sign-in decodes in the UI"


async def test_an_expired_session_or_an_agent_of_another_session_signs_in_again(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    await sign_in(browser)
    assert (await browser.get("/support/")).status_code == 200

    browser.cookies.set(COOKIE, session_value(settings, now=0), domain="127.0.0.1", path="/support")
    expired = await browser.get("/support/")
    browser.cookies.set(
        COOKIE, session_value(settings, now=time.time() + 5), domain="127.0.0.1", path="/support"
    )
    other_session = await browser.get("/support/")

    assert expired.status_code == 303, "a session past its 8 hours is no session"
    assert other_session.status_code == 303, "the agent's id is bound to the session it was signed in with"


async def test_a_form_without_this_sessions_csrf_token_is_refused(browser: httpx.AsyncClient) -> None:
    await sign_in(browser, "first.agent")
    first_token = form_value(await browser.get("/support/companies/42/release"), "csrf")
    await sign_in(browser, "second.agent")

    without = await browser.post("/support/companies/42/release", data={"attempt": "a" * 20})
    stale = await browser.post("/support/companies/42/release", data={"csrf": first_token})
    signed_out = await browser.post("/support/logout", data={"csrf": "0" * 64})

    assert without.status_code == stale.status_code == signed_out.status_code == 403
    assert "nothing was done" in without.text


async def test_signing_out_forgets_the_session_and_nothing_redirects_off_the_console(
    browser: httpx.AsyncClient,
) -> None:
    page = await browser.get("/support/login")
    offsite = await browser.post(
        "/support/login",
        data={"csrf": form_value(page, "csrf"), "agent": "a", "token": TOKEN, "next": "//evil.example/x"},
    )
    token = form_value(await browser.get("/support/"), "csrf")
    signed_out = await browser.post("/support/logout", data={"csrf": token})
    after = await browser.get("/support/")

    assert offsite.headers["location"] == "/support/"
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/support/login")
    assert all("max-age=0" in c.lower() for c in set_cookies(signed_out))
    assert after.status_code == 303


async def test_search_pages_show_names_as_written_and_cannot_be_framed(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    sessions = Sessions.for_url(settings.store_url)
    with unit_of_work(sessions) as store:
        upsert_company(
            store,
            "c-1",
            CompanyChanges(
                business_id="2345678-0", name="Säästö <Äänentoisto> & Oy", state="EXISTING_ACCOUNT"
            ),
        )
        upsert_company(
            store, "c-2", CompanyChanges(business_id="7654321-2", name="Muu Oy", state="CONNECTED")
        )
    sessions.dispose()
    await sign_in(browser)

    by_state = await browser.get("/support/", params={"show": "EXISTING_ACCOUNT"})
    by_address = await browser.get("/support/", params={"q": "003723456780"})
    unknown_choice = await browser.get("/support/", params={"show": "<x>"})

    assert "Säästö &lt;Äänentoisto&gt; &amp; Oy" in by_state.text and "Muu Oy" not in by_state.text
    assert by_state.headers["content-type"] == "text/html; charset=utf-8"
    assert "Säästö &lt;Äänentoisto&gt;" in by_address.text, "an e-invoice address names its business id"
    assert unknown_choice.status_code == 422 and "<x>" not in unknown_choice.text
    assert by_state.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in by_state.headers["content-security-policy"]
    assert by_state.headers["cache-control"] == "no-store"


def test_an_agent_id_is_printable_text_of_up_to_200_characters() -> None:
    assert session.AGENT_PATTERN.match("Anna Ågren")
    assert session.AGENT_PATTERN.match("a" * 200)
    assert not session.AGENT_PATTERN.match("a" * 201)
    assert not session.AGENT_PATTERN.match("anna\nagent")
    assert not session.AGENT_PATTERN.match("")
