"""Browser tests: Debian's chromium driven by Playwright (never a downloaded browser build) against one
running service for the whole package, as `make run` starts it (tests/reliability/stack.py), on free ports.

They skip, saying why, only where no Chromium is installed (`.ci/run` installs Debian's `chromium` when it is
missing). Screenshots go to BROWSER_SCREENSHOTS (docs/img to renew the documentation's) or a temporary folder.
"""

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from tests.browser.companies import UTF8_NAME, ExistingAccount, existing_account
from tests.reliability.stack import Company, Service, running_service

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WIDE = ViewportSize(width=1280, height=900)
NARROW = ViewportSize(width=390, height=844)


def chromium() -> str | None:
    """Debian's chromium (CHROMIUM overrides the path)."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="package")
def chromium_path() -> str:
    path = chromium()
    if path is None:
        pytest.skip("no Chromium found: install Debian's package (apt-get install -y chromium); .ci/run does")
    return path


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def service(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    async with running_service(tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="package")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def _fresh_context(browser: Browser) -> BrowserContext:
    fresh = await browser.new_context(viewport=WIDE, locale="fi-FI", timezone_id="Europe/Helsinki")
    fresh.set_default_timeout(30_000)
    return fresh


@pytest_asyncio.fixture(loop_scope="session")
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile per test: no cookies, no storage."""
    fresh = await _fresh_context(browser)
    yield fresh
    await fresh.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


@dataclass
class Prepared:
    """Companies the tests need, being made in the background from the moment the service is up, so that
    founding them overlaps the first tests instead of adding to them."""

    connected: "asyncio.Task[list[Company]]"
    existing: "asyncio.Task[ExistingAccount]"
    declining: "asyncio.Task[ExistingAccount]"
    temporal_ui: "asyncio.Task[Page]"


async def _temporal_ui(browser: Browser, service: Service) -> Page:
    """The Temporal UI's workflow list, loaded in a fresh profile: its first load is some 260 requests of
    script, which takes a while on a busy machine, so it happens while the console tests run."""
    context = await _fresh_context(browser)
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{service.settings.temporal_ui_port}/namespaces/default/workflows")
    await page.get_by_test_id("toggle-manual-query").wait_for(timeout=120_000)
    return page


@pytest_asyncio.fixture(scope="package", loop_scope="session")
async def prepared(service: Service, browser: Browser) -> AsyncIterator[Prepared]:
    tasks = Prepared(
        connected=asyncio.create_task(service.found(2)),
        existing=asyncio.create_task(existing_account(service, UTF8_NAME)),
        declining=asyncio.create_task(existing_account(service, "Kieltäytyvä Oy")),
        temporal_ui=asyncio.create_task(_temporal_ui(browser, service)),
    )
    yield tasks
    for task in (tasks.connected, tasks.existing, tasks.declining, tasks.temporal_ui):
        task.cancel()
    if tasks.temporal_ui.done() and not tasks.temporal_ui.cancelled() and not tasks.temporal_ui.exception():
        await tasks.temporal_ui.result().context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def connected(prepared: Prepared) -> Company:
    """A CONNECTED company that the tests using it leave CONNECTED."""
    return (await prepared.connected)[0]


@pytest_asyncio.fixture(loop_scope="session")
async def to_release(prepared: Prepared) -> Company:
    """A CONNECTED company for the one test that releases it."""
    return (await prepared.connected)[1]


@pytest_asyncio.fixture(loop_scope="session")
async def existing(prepared: Prepared) -> ExistingAccount:
    """A company with a Maventa account of its own (EXISTING_ACCOUNT until a test links it) named in UTF-8."""
    return await prepared.existing


@pytest_asyncio.fixture(loop_scope="session")
async def declining(prepared: Prepared) -> ExistingAccount:
    """Another company with an account of its own, for declining and then sending only."""
    return await prepared.declining


@pytest_asyncio.fixture(loop_scope="session")
async def temporal_ui(prepared: Prepared) -> Page:
    """The Temporal UI's workflow list in a profile of its own that has not signed in."""
    return await prepared.temporal_ui
