"""The Temporal UI of `make run` decodes payloads only in a browser with a support session (§10): the
dev server points the UI at /codec/ui, and that endpoint answers only with the session cookie that the support
token buys."""

from pathlib import Path

import httpx
from pydantic import SecretStr

from devstack.temporal_server import dev_server_command
from security.codec import EncryptionCodec
from security.codec_server import encode_payloads
from settings import Settings
from starters.api import support_session
from starters.api.app import create_app

UI = "http://127.0.0.1:8233"
PLAIN = {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "eyJhcGlfa2V5X21hc2tlZCI6MX0="}]}


def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path, api_support_token=SecretStr("ui-support-token"), temporal_address="127.0.0.1:1"
    )


def browser(app_settings: Settings) -> httpx.AsyncClient:
    """Plays the agent's browser: keeps cookies, calls the API's origin from the UI's."""
    transport = httpx.ASGITransport(app=create_app(app_settings))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8700", headers={"Origin": UI})


async def test_the_ui_decodes_only_for_a_signed_in_agent(tmp_path: Path) -> None:
    app_settings = settings(tmp_path)
    encrypted = await encode_payloads(PLAIN, codec=EncryptionCodec.from_settings(app_settings))
    async with browser(app_settings) as http:
        page = await http.get("/codec/ui/login")
        anonymous = await http.post("/codec/ui/decode", json=encrypted)
        wrong = await http.post("/codec/ui/login", data={"token": "guess"})
        after_wrong = await http.post("/codec/ui/decode", json=encrypted)
        signed_in = await http.post("/codec/ui/login", data={"token": "ui-support-token"})
        decoded = await http.post("/codec/ui/decode", json=encrypted)
        preflight = await http.options(
            "/codec/ui/decode",
            headers={
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
    async with browser(app_settings) as stranger:
        forgery = "4102444800.forged"
        stranger.cookies.set(support_session.COOKIE, forgery, domain="127.0.0.1", path="/codec/ui")
        forged = await stranger.post("/codec/ui/decode", json=encrypted)
        stale = support_session.session_value(app_settings, now=0)
        stranger.cookies.set(support_session.COOKIE, stale, domain="127.0.0.1", path="/codec/ui")
        expired = await stranger.post("/codec/ui/decode", json=encrypted)

    assert page.status_code == 200 and 'type="password"' in page.text
    assert anonymous.status_code == 401 and "/codec/ui/login" in anonymous.json()["error"]["message"]
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    assert after_wrong.status_code == 401
    cookie = signed_in.headers["set-cookie"].lower()
    assert signed_in.status_code == 200 and "decoded here only" in signed_in.text
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/codec/ui" in cookie
    assert "ui-support-token" not in cookie, "the cookie is a signature, not the token"
    assert decoded.status_code == 200 and decoded.json() == PLAIN
    assert preflight.headers["access-control-allow-origin"] == UI
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert forged.status_code == expired.status_code == 401


def test_make_run_points_the_ui_at_the_session_endpoint_on_its_own_origin(tmp_path: Path) -> None:
    settings = Settings(api_port=8700, temporal_ui_port=8233, bind_host="127.0.0.1")
    command = dev_server_command(settings, tmp_path, ui_server_port=48233)
    assert command[command.index("--ui-codec-endpoint") + 1] == "http://127.0.0.1:8233/codec/ui"
    assert command[command.index("--ui-port") + 1] == "48233", "the UI itself is behind devstack/ui_proxy.py"
