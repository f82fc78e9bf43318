"""The support session cookie's flags come from configuration, never from the request (which says `http`
behind a TLS proxy), and it is good only for the browser pages of the Temporal UI's origins."""

from pathlib import Path

import httpx
from pydantic import SecretStr

from settings import Settings
from starters.api.app import create_app
from starters.api.support_session import COOKIE, session_value, valid_session

TOKEN = "session-support-token"


def _browser(settings: Settings, origin: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(settings))
    return httpx.AsyncClient(
        transport=transport, base_url="http://api.internal:8700", headers={"Origin": origin}
    )


async def _sign_in(settings: Settings) -> httpx.Response:
    async with _browser(settings, "http://127.0.0.1:8233") as http:
        return await http.post(
            "/codec/ui/login", data={"token": TOKEN}, headers={"X-Forwarded-Proto": "http"}
        )


async def test_the_cookie_is_secure_when_configured_even_over_http(tmp_path: Path) -> None:
    secure = Settings(data_dir=tmp_path, api_support_token=SecretStr(TOKEN), api_session_cookie_secure=True)
    dev = Settings(data_dir=tmp_path, api_support_token=SecretStr(TOKEN))
    secure_cookie = (await _sign_in(secure)).headers["set-cookie"].lower()
    dev_cookie = (await _sign_in(dev)).headers["set-cookie"].lower()
    assert "; secure" in secure_cookie and "httponly" in secure_cookie and "samesite=strict" in secure_cookie
    assert "; secure" not in dev_cookie and "httponly" in dev_cookie


def test_a_session_lasts_a_working_day_and_ends_with_the_token() -> None:
    settings = Settings(api_support_token=SecretStr(TOKEN))
    value = session_value(settings, now=1_000_000)
    assert valid_session(settings, value, now=1_000_000 + 8 * 3600 - 1)
    assert not valid_session(settings, value, now=1_000_000 + 8 * 3600 + 1)
    assert not valid_session(Settings(api_support_token=SecretStr("another-token")), value, now=1_000_000)


async def test_only_the_temporal_ui_may_call_the_codec_from_a_browser(tmp_path: Path) -> None:
    ui = "https://temporal.example.com"
    settings = Settings(data_dir=tmp_path, api_support_token=SecretStr(TOKEN), temporal_ui_origin=ui)
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    answers = {}
    for origin, path in [(ui, "/codec/ui/decode"), ("https://evil.example", "/codec/ui/decode")]:
        async with _browser(settings, origin) as http:
            answers[origin] = await http.options(path, headers=preflight)
    async with _browser(settings, ui) as http:
        http.cookies.set(COOKIE, session_value(settings), domain="api.internal", path="/codec/ui")
        elsewhere = await http.options("/v1/companies/c-1", headers=preflight)
        simple = await http.post("/codec/ui/decode", json={"payloads": []})
    assert answers[ui].headers["access-control-allow-origin"] == ui
    assert answers[ui].headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in answers["https://evil.example"].headers
    assert "access-control-allow-origin" not in elsewhere.headers
    assert simple.status_code == 200 and simple.headers["access-control-allow-origin"] == ui
