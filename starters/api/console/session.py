"""The console's side of the support session: who the agent is, the CSRF token of every form, and the one-line
message a page shows after an action.

Signing in to the console starts the same support session as the Temporal UI's codec sign-in (one cookie,
set for both `/codec/ui` and `/support`), so one sign-in gives both. Beside it:
- the agent's id and a random nonce of this sign-in, in a cookie bound to that session by an HMAC (keyed by
  the support token), so it cannot be swapped into another session; every action records the id as who
  asked (X-Support-User, requested_by);
- the CSRF token of every form that changes anything: an HMAC of the session, agent and nonce, so it is this
  browser's own and ends with the session;
- the sign-in form's own token, a random value in a short-lived cookie and in the form (double submit).
All are HttpOnly and SameSite=Strict; none holds the support token or anything it could be derived from.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass

from fastapi import Request, Response

from settings import Settings
from starters.api.support_session import (
    COOKIE,
    COOKIE_PATH,
    SESSION_SECONDS,
    end_session,
    start_session,
    valid_session,
)

CONSOLE_PATH = "/support"
SESSION_PATHS = (COOKIE_PATH, CONSOLE_PATH)
AGENT_COOKIE = "support_agent"
LOGIN_COOKIE = "support_login"
LOGIN_PATH = CONSOLE_PATH + "/login"
FLASH_COOKIE = "support_flash"
AGENT_PATTERN = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
NONCE_PATTERN = re.compile(r"^[0-9a-f]{32}$")
_AGENT_PURPOSE = "maventa-connection/support-console-agent/v1"
_CSRF_PURPOSE = "maventa-connection/support-console-csrf/v1"
LOGIN_SECONDS = 3600
FLASH_SECONDS = 60


@dataclass(frozen=True)
class Agent:
    """A signed-in agent: their id, and the session and sign-in their forms' CSRF tokens are bound to."""

    agent_id: str
    session: str
    nonce: str

    def csrf(self, settings: Settings) -> str:
        return _mac(settings, _CSRF_PURPOSE, self.session, self.agent_id, self.nonce)


def _mac(settings: Settings, purpose: str, *parts: str) -> str:
    key = settings.api_support_token.get_secret_value().encode()
    message = "\x00".join((purpose, *parts)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode("ascii").rstrip("=")


def _decoded(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def signed_in(request: Request) -> Agent | None:
    """The agent of a valid, unexpired session, or None (sign in again)."""
    settings: Settings = request.app.state.settings
    session = request.cookies.get(COOKIE)
    if session is None or not valid_session(settings, session):
        return None
    encoded, nonce, mac = [*request.cookies.get(AGENT_COOKIE, "").split("."), "", ""][:3]
    agent_id = _decoded(encoded)
    if agent_id is None or not AGENT_PATTERN.match(agent_id) or not NONCE_PATTERN.match(nonce):
        return None
    if not hmac.compare_digest(mac, _mac(settings, _AGENT_PURPOSE, session, agent_id, nonce)):
        return None
    return Agent(agent_id=agent_id, session=session, nonce=nonce)


def csrf_is_valid(request: Request, agent: Agent, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(given, agent.csrf(request.app.state.settings))


def _cookie(response: Response, name: str, value: str, path: str, max_age: int, settings: Settings) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="strict",
        secure=settings.session_cookie_secure,
    )


def start(response: Response, settings: Settings, agent_id: str) -> None:
    """Sign the agent in: the support session (console and Temporal UI) and the agent's id bound to it."""
    session = start_session(response, settings, SESSION_PATHS)
    nonce = secrets.token_hex(16)
    agent = f"{_encoded(agent_id)}.{nonce}.{_mac(settings, _AGENT_PURPOSE, session, agent_id, nonce)}"
    _cookie(response, AGENT_COOKIE, agent, CONSOLE_PATH, SESSION_SECONDS, settings)
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PATH, httponly=True, samesite="strict")


def end(response: Response) -> None:
    """Sign out: every cookie of the session is removed from this browser."""
    end_session(response, SESSION_PATHS)
    response.delete_cookie(AGENT_COOKIE, path=CONSOLE_PATH, httponly=True, samesite="strict")


def login_token(request: Request) -> tuple[str, bool]:
    """The sign-in form's CSRF token: the one this browser holds, or a new one (True: set it on the page)."""
    token = request.cookies.get(LOGIN_COOKIE)
    if token is not None and re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token):
        return token, False
    return secrets.token_urlsafe(32), True


def keep_login_token(response: Response, settings: Settings, token: str) -> None:
    _cookie(response, LOGIN_COOKIE, token, LOGIN_PATH, LOGIN_SECONDS, settings)


def login_token_is_valid(request: Request, given: str | None) -> bool:
    held = request.cookies.get(LOGIN_COOKIE)
    return held is not None and given is not None and hmac.compare_digest(held, given)


def flash(response: Response, settings: Settings, kind: str, text: str) -> None:
    """A message for the next page this browser opens (after an action's redirect)."""
    value = _encoded(json.dumps({"kind": kind, "text": text}, ensure_ascii=False))
    _cookie(response, FLASH_COOKIE, value, CONSOLE_PATH, FLASH_SECONDS, settings)


def read_flash(request: Request) -> dict[str, str] | None:
    """The message left for the page being made, if any (clear_flash on that page removes it)."""
    value = request.cookies.get(FLASH_COOKIE)
    text = _decoded(value) if value else None
    try:
        message = json.loads(text) if text else None
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("kind") not in ("done", "refused"):
        return None
    return {"kind": str(message["kind"]), "text": str(message.get("text", ""))[:2000]}


def clear_flash(response: Response) -> None:
    response.delete_cookie(FLASH_COOKIE, path=CONSOLE_PATH, httponly=True, samesite="strict")
