"""The Maventa sandbox on a random loopback port, for its own tests and the client's contract tests."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request
from pydantic import SecretStr

from clients.maventa import MaventaClient, MaventaCredentials
from clients.maventa_operations import COMPANY_SCOPES
from sandbox.maventa import MaventaSandboxConfig, create_app
from tests.contracts.recorder import ContractRecorder
from tests.support import new_business_id, serving

# The names these tests have always used for the shared helpers.
serve = serving
business_id = new_business_id

VENDOR_KEY = "test-vendor-key-0001"
PARTNER_UUID = "00000000-0000-4000-8000-0000000000aa"
PARTNER_USER_KEY = "test-partner-user-key-0002"
COMPANY_SCOPE = " ".join(sorted(COMPANY_SCOPES))


def sandbox_config(**overrides: Any) -> MaventaSandboxConfig:
    values: dict[str, Any] = {
        "database_url": "sqlite://",
        "vendor_api_key": SecretStr(VENDOR_KEY),
        "partner_company_uuid": PARTNER_UUID,
        "partner_user_api_key": SecretStr(PARTNER_USER_KEY),
        "clock_interval_s": 0.05,
    }
    return MaventaSandboxConfig(**(values | overrides))


@dataclass
class MaventaSandbox:
    """A running sandbox: its URL, a plain HTTP client for the controls, and the partner's credentials."""

    url: str
    http: httpx.AsyncClient
    partner: MaventaCredentials = field(
        default_factory=lambda: MaventaCredentials(
            company_uuid=PARTNER_UUID, user_api_key=SecretStr(PARTNER_USER_KEY)
        )
    )

    async def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, f"/_sandbox{path}", **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    async def account(self, name: str = "Olemassa Oleva Oy") -> tuple[str, MaventaCredentials]:
        """An existing, verified, receiving account outside the vendor (the /_sandbox/accounts control)."""
        bid = business_id()
        body = await self.control("POST", "/accounts", json={"business_id": bid, "name": name})
        return bid, MaventaCredentials(
            company_uuid=body["company_uuid"], user_api_key=SecretStr(body["user_api_key"])
        )

    async def customer(self, name: str = "Asiakas Oy") -> tuple[str, MaventaCredentials]:
        """A company created through the API by the partner and verified by the partner's KYC proof."""
        bid = business_id()
        user = await self.http.post(
            "/v1/users", json={"vendor_api_key": VENDOR_KEY, "email": f"owner-{bid}@example.invalid"}
        )
        user.raise_for_status()
        user_key = user.json()["user_api_key"]
        fields = {
            "vendor_api_key": VENDOR_KEY,
            "user_api_key": user_key,
            "name": name,
            "bid": bid,
            "no_vat": "true",
            "address1": "Katu 1",
            "post_code": "00100",
            "post_office": "Helsinki",
            "city": "Helsinki",
            "country": "FI",
            "email": "x@y.z",
        }
        company = await self.http.post("/v1/companies", files={k: (None, v) for k, v in fields.items()})
        company.raise_for_status()
        creds = MaventaCredentials(company_uuid=company.json()["id"], user_api_key=SecretStr(user_key))
        verified = await self.http.post(
            "/v1/company/authorization",
            json={"auth_email": "signer@example.invalid", "locale": "FI", "options": '{"kyc": "done"}'},
            headers={"Authorization": f"Bearer {await self.token(creds)}"},
        )
        verified.raise_for_status()
        return bid, creds

    async def receive(self, bid: str, **body: Any) -> list[str]:
        rows = await self.control("POST", f"/companies/{bid}/received-invoices", json=body)
        return [row["id"] for row in rows]

    async def token(self, creds: MaventaCredentials, scope: str = COMPANY_SCOPE) -> str:
        """A token with the scopes of the service's company calls, unless others are asked for."""
        response = await self.http.post(
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds.company_uuid,
                "client_secret": creds.user_api_key.get_secret_value(),
                "vendor_api_key": VENDOR_KEY,
                "scope": scope,
            },
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


@asynccontextmanager
async def running_sandbox(**overrides: Any) -> AsyncIterator[MaventaSandbox]:
    """Every answer its API gives these tests must stay in Maventa's OpenAPI (tests/contracts/recorder.py)."""
    answers = ContractRecorder(requests=False)
    async with (
        serve(create_app(sandbox_config(**overrides))) as url,
        answers.client(base_url=url, timeout=10) as http,
    ):
        yield MaventaSandbox(url=url, http=http)


@asynccontextmanager
async def maventa_client(url: str, **kwargs: Any) -> AsyncIterator[MaventaClient]:
    """The client as the service builds it, every request and answer checked against Maventa's OpenAPI."""
    timeout_s = kwargs.pop("timeout_s", 10.0)
    async with ContractRecorder().client(timeout=timeout_s) as http:
        yield MaventaClient(url, SecretStr(VENDOR_KEY), http=http, timeout_s=timeout_s, **kwargs)


@dataclass
class WebhookInbox:
    """What a small receiver app was POSTed."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait_for(self, count: int, timeout_s: float = 5.0) -> list[dict[str, Any]]:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while len(self.received) < count:
                    self.arrived.clear()
                    await self.arrived.wait()
        return self.received


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[WebhookInbox]:
    inbox = WebhookInbox(url="")
    app = FastAPI()

    @app.post("/hooks/maventa")
    async def hook(request: Request) -> dict[str, str]:
        inbox.received.append(await request.json())
        inbox.arrived.set()
        return {"status": "ok"}

    async with serve(app) as url:
        inbox.url = f"{url}/hooks/maventa"
        yield inbox
