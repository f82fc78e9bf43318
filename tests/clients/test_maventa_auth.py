"""Tokens: cached per company, renewed before expiry and once after an expired-token 401; bad keys refused."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from clients.maventa import (
    MaventaClient,
    MaventaCredentials,
    MaventaUnauthorized,
    MaventaUnavailable,
    NewCompany,
)
from tests.sandbox.maventa.serving import VENDOR_KEY, MaventaSandbox, business_id, running_sandbox


class Recorder:
    """Every (path, status) the client saw on the wire."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    async def __call__(self, response: httpx.Response) -> None:
        self.seen.append((response.request.url.path, response.status_code))

    def count(self, path: str, status: int | None = None) -> int:
        return sum(1 for p, s in self.seen if p == path and (status is None or s == status))


@pytest_asyncio.fixture(loop_scope="session")
async def maventa() -> AsyncIterator[MaventaSandbox]:
    async with running_sandbox() as sandbox:
        yield sandbox


@pytest_asyncio.fixture(loop_scope="session")
async def short_lived() -> AsyncIterator[MaventaSandbox]:
    async with running_sandbox(token_lifetime_s=1) as sandbox:
        yield sandbox


async def _client(url: str, recorder: Recorder, margin_s: float) -> MaventaClient:
    http = httpx.AsyncClient(event_hooks={"response": [recorder]}, timeout=10)
    return MaventaClient(url, SecretStr(VENDOR_KEY), http=http, token_renew_margin_s=margin_s)


async def test_a_token_is_reused_while_it_is_valid_for_the_scopes_of_its_calls(
    maventa: MaventaSandbox,
) -> None:
    """The company's calls share one token; `GET /oauth2/current` has its own (`global`, nothing else)."""
    _, creds = await maventa.account()
    recorder = Recorder()
    client = await _client(maventa.url, recorder, margin_s=0)
    await client.list_profiles(creds)
    await client.authorization_status(creds)
    await client.vendor_link_state(creds)
    assert recorder.count("/oauth2/token") == 1
    await client.current_company(creds)
    await client.current_company(creds)
    assert recorder.count("/oauth2/token") == 2


async def test_an_expired_token_is_renewed_once_after_the_401(short_lived: MaventaSandbox) -> None:
    """The client believes the token has seconds left (a skewed clock); the server says it expired."""
    bid, creds = await short_lived.account()
    recorder = Recorder()
    client = await _client(short_lived.url, recorder, margin_s=-30)
    assert (await client.current_company(creds)).bid == bid
    await asyncio.sleep(1.2)
    assert (await client.current_company(creds)).bid == bid
    assert recorder.count("/oauth2/current", 401) == 1
    assert recorder.count("/oauth2/token") == 2


async def test_a_token_that_expires_again_right_after_renewal_is_worth_another_try() -> None:
    """Maventa ending tokens early, between a renewal and its use: the keys are fine, a retry may pass."""
    async with running_sandbox(token_lifetime_s=0) as ending_tokens:
        _, creds = await ending_tokens.account()
        recorder = Recorder()
        client = await _client(ending_tokens.url, recorder, margin_s=0)
        with pytest.raises(MaventaUnavailable) as caught:
            await client.current_company(creds)
        await client.aclose()
    assert caught.value.status == 401
    assert caught.value.code == "token_expired"
    assert caught.value.retryable is True
    assert recorder.count("/oauth2/token") == 2


async def test_a_token_is_renewed_before_it_expires(short_lived: MaventaSandbox) -> None:
    _, creds = await short_lived.account()
    recorder = Recorder()
    client = await _client(short_lived.url, recorder, margin_s=0.8)
    await client.current_company(creds)
    await asyncio.sleep(0.3)
    await client.current_company(creds)
    assert recorder.count("/oauth2/token") == 2
    assert recorder.count("/oauth2/current", 401) == 0


async def test_wrong_keys_are_unauthorized_and_the_error_keeps_the_key_secret(
    maventa: MaventaSandbox,
) -> None:
    _, creds = await maventa.account()
    wrong = MaventaCredentials(company_uuid=creds.company_uuid, user_api_key=SecretStr("wrong-user-key-123"))
    client = MaventaClient(maventa.url, SecretStr(VENDOR_KEY))
    with pytest.raises(MaventaUnauthorized) as caught:
        await client.current_company(wrong)
    assert caught.value.status == 401
    assert caught.value.code == "invalid_client"
    assert caught.value.retryable is False
    assert "wrong-user-key-123" not in str(caught.value)
    assert VENDOR_KEY not in str(caught.value)
    wrong_vendor = MaventaClient(maventa.url, SecretStr("not-our-vendor-key"))
    with pytest.raises(MaventaUnauthorized):
        await wrong_vendor.current_company(creds)
    await client.aclose()
    await wrong_vendor.aclose()


async def test_no_access_is_a_401_that_a_new_token_does_not_cure(maventa: MaventaSandbox) -> None:
    """An unverified company may not send (docs/facts/maventa.md §2.4). Maventa's 401 means "no access or the
    token is not valid", so one new token is tried; refused again, it is no access and not retried."""
    recorder = Recorder()
    client = await _client(maventa.url, recorder, margin_s=0)
    user_key = await client.create_user("u@example.invalid", "U", "V")
    company = NewCompany(
        name="Vahvistamaton Oy",
        business_id=business_id(),
        email="u@example.invalid",
        street="Katu 1",
        post_code="00100",
        city="Helsinki",
    )
    creds = MaventaCredentials(
        company_uuid=await client.create_company(user_key, company), user_api_key=user_key
    )
    with pytest.raises(MaventaUnauthorized) as caught:
        await client.send_invoice(
            creds,
            b"<Finvoice/>",
            "invoice.xml",
            uuid="u-1",
            recipient_eia="003712345671",
            recipient_operator="003721291126",
        )
    assert caught.value.code == "company_unverified"
    assert caught.value.retryable is False
    assert recorder.count("/oauth2/token") == 2
    assert recorder.count("/v1/invoices", 401) == 2
