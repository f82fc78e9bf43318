"""Production refuses every dev default, short tokens and a missing SECRETS_KEY, naming the setting to fix."""

import asyncio

import httpx
import pytest
from pydantic import SecretStr

from security.keys import new_key
from settings import Settings
from settings.safety import SHORTEST_TOKEN, UnsafeSettings, refuse_unsafe, unsafe_settings
from starters.api.app import create_app
from workers.main import run_worker

DEV_SECRETS = {
    name.upper(): field.default.get_secret_value()
    for name, field in Settings.model_fields.items()
    if isinstance(field.default, SecretStr)
}


def production(**overrides: object) -> Settings:
    """Production settings as an operator would give them, with `overrides`."""
    configured: dict[str, object] = {
        "environment": "production",
        "secrets_key": SecretStr(new_key()),
        "api_netvisor_token": SecretStr("n" * SHORTEST_TOKEN),
        "api_support_token": SecretStr("s" * SHORTEST_TOKEN),
        "api_webhook_secret": SecretStr("w" * SHORTEST_TOKEN),
        "maventa_base_url": "https://ax.maventa.com",
        "maventa_vendor_api_key": SecretStr("vendor-key-of-netvisor"),
        "maventa_partner_user_api_key": SecretStr("partner-user-key"),
        "netvisor_base_url": "https://integration.netvisor.fi",
        "netvisor_partner_key": SecretStr("partner-key"),
        "netvisor_customer_key": SecretStr("customer-key"),
    }
    return Settings(**{**configured, **overrides})  # type: ignore[arg-type]


def test_configured_production_settings_are_served() -> None:
    assert unsafe_settings(production(), "api") == unsafe_settings(production(), "worker") == []


def test_production_refuses_every_dev_default_and_names_it() -> None:
    defaults = Settings(environment="production")
    problems = " ".join(unsafe_settings(defaults, "api") + unsafe_settings(defaults, "worker"))
    for name in [*DEV_SECRETS, "MAVENTA_BASE_URL", "NETVISOR_BASE_URL"]:
        assert name in problems
    assert "python -m security new-key" in problems
    assert not any(value in problems for value in DEV_SECRETS.values())


def test_each_process_needs_only_the_settings_it_uses() -> None:
    without_netvisor = production(netvisor_partner_key=Settings().netvisor_partner_key)
    without_api_tokens = production(api_support_token=Settings().api_support_token)
    assert unsafe_settings(without_netvisor, "api") == unsafe_settings(without_api_tokens, "worker") == []
    assert "NETVISOR_PARTNER_KEY" in unsafe_settings(without_netvisor, "worker")[0]
    assert "API_SUPPORT_TOKEN" in unsafe_settings(without_api_tokens, "api")[0]


@pytest.mark.parametrize("name", ["api_netvisor_token", "api_support_token", "api_webhook_secret"])
def test_production_refuses_a_short_token(name: str) -> None:
    short = "x" * (SHORTEST_TOKEN - 1)
    [problem] = unsafe_settings(production(**{name: SecretStr(short)}), "api")
    assert name.upper() in problem and f"{SHORTEST_TOKEN - 1} characters" in problem
    assert short not in problem


def test_production_refuses_one_token_for_two_roles() -> None:
    same = SecretStr("t" * SHORTEST_TOKEN)
    [problem] = unsafe_settings(production(api_netvisor_token=same, api_support_token=same), "api")
    assert "must all differ" in problem


def test_production_sends_the_session_cookie_over_https_only() -> None:
    assert production().session_cookie_secure is True
    insecure = production(api_session_cookie_secure=False)
    assert "API_SESSION_COOKIE_SECURE" in unsafe_settings(insecure, "api")[0]


def test_dev_serves_its_defaults_but_no_wildcard_origin() -> None:
    assert unsafe_settings(Settings(), "api") == unsafe_settings(Settings(), "worker") == []
    [problem] = unsafe_settings(Settings(temporal_ui_origin="*"), "api")
    assert "TEMPORAL_UI_ORIGIN" in problem
    with pytest.raises(UnsafeSettings, match="TEMPORAL_UI_ORIGIN"):
        refuse_unsafe(Settings(temporal_ui_origin="https://ui.example, https://*.example"), "api")


async def test_the_api_and_the_worker_refuse_to_start_in_production_with_dev_defaults() -> None:
    defaults = Settings(environment="production", temporal_address="127.0.0.1:1")
    with pytest.raises(UnsafeSettings) as api:
        create_app(defaults)
    with pytest.raises(UnsafeSettings) as worker:
        await run_worker(defaults, stop=asyncio.Event())
    for refusal in (str(api.value), str(worker.value)):
        assert "refusing to start with ENVIRONMENT=production" in refusal
        assert "MAVENTA_VENDOR_API_KEY is the dev default" in refusal and "SECRETS_KEY is not set" in refusal
    assert "API_SUPPORT_TOKEN" in str(api.value) and "NETVISOR_PARTNER_KEY" in str(worker.value)


async def test_production_serves_no_description_pages_unless_asked() -> None:
    answers = {}
    for name, settings in {
        "dev": Settings(),
        "production": production(),
        "production asked": production(api_docs=True),
    }.items():
        transport = httpx.ASGITransport(app=create_app(settings))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            answers[name] = [(await http.get(path)).status_code for path in ("/openapi.json", "/docs")]
    assert answers == {"dev": [200, 200], "production": [404, 404], "production asked": [200, 200]}
