"""OAuth2 client credentials as Maventa does them (research/maventa-api.md §1).

client_id = company UUID, client_secret = the user's API key, plus the partner's vendor_api_key; tokens live
60 minutes by default. Tokens are opaque here (Maventa's are signed JSON); an expired token and a token that
never existed answer 401 with different codes, so a client can tell "ask again" from "no access".
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session, select

from sandbox.maventa.context import ContextDep, SessionDep
from sandbox.maventa.errors import (
    COMPANY_UNVERIFIED,
    FORBIDDEN,
    INVALID_CLIENT,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    MaventaApiError,
    invalid,
)
from sandbox.maventa.identifiers import digest
from sandbox.maventa.tables import Company, Membership, Token, User, VendorKey, utcnow
from sandbox.maventa.views import timestamp

router = APIRouter()
# With no scope asked for, a token gets `global company` (research/maventa-api.md §1.4, S1).
DEFAULT_SCOPE = "global company"


@dataclass
class Principal:
    company: Company
    user: User
    vendor_key_digest: str | None
    scope: str


async def _token_request_fields(request: Request) -> dict[str, str]:
    """Form-encoded as documented; JSON accepted too, as one third-party client sends it (§1.1)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body: Any = await request.json()
        return {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def known_vendor_key(session: Session, vendor_api_key: str) -> VendorKey | None:
    return session.get(VendorKey, digest(vendor_api_key))


def user_by_key(session: Session, user_api_key: str) -> User | None:
    return session.exec(select(User).where(User.api_key_digest == digest(user_api_key))).first()


@router.post("/oauth2/token")
async def issue_token(request: Request, session: SessionDep, context: ContextDep) -> dict[str, Any]:
    fields = await _token_request_fields(request)
    if fields.get("grant_type") != "client_credentials":
        raise invalid("grant_type must be client_credentials")
    client_id, client_secret = fields.get("client_id", ""), fields.get("client_secret", "")
    if not client_id or not client_secret:
        raise invalid("client_id and client_secret are required")
    vendor_api_key = fields.get("vendor_api_key") or None
    refused = MaventaApiError(401, INVALID_CLIENT, "Invalid client credentials")
    if vendor_api_key is not None and known_vendor_key(session, vendor_api_key) is None:
        raise refused
    user = user_by_key(session, client_secret)
    if user is None or session.get(Membership, (user.id, client_id)) is None:
        raise refused
    access_token = secrets.token_urlsafe(32)
    scope = fields.get("scope") or DEFAULT_SCOPE
    session.add(
        Token(
            digest=digest(access_token),
            company_id=client_id,
            user_id=user.id,
            vendor_key_digest=digest(vendor_api_key) if vendor_api_key else None,
            scope=scope,
            expires_at=utcnow() + timedelta(seconds=context.config.token_lifetime_s),
        )
    )
    session.commit()
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": context.config.token_lifetime_s,
        "scope": scope,
    }


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def principal(request: Request, session: SessionDep) -> Principal:
    raw = _bearer(request)
    token = session.get(Token, digest(raw)) if raw else None
    if token is None:
        raise MaventaApiError(401, TOKEN_INVALID, "The provided token is not valid")
    if token.expires_at <= utcnow():
        raise MaventaApiError(401, TOKEN_EXPIRED, "The provided token has expired")
    company = session.get(Company, token.company_id)
    user = session.get(User, token.user_id)
    if company is None or user is None:
        raise MaventaApiError(401, TOKEN_INVALID, "The provided token is not valid")
    return Principal(company=company, user=user, vendor_key_digest=token.vendor_key_digest, scope=token.scope)


PrincipalDep = Annotated[Principal, Depends(principal)]


def require_verified(who: Principal) -> None:
    """Unverified companies cannot send, receive or activate services (research/maventa-api.md §2.6, S10)."""
    if who.company.company_state != "VERIFIED":
        raise MaventaApiError(401, COMPANY_UNVERIFIED, "Unauthorized", ["The company has not been verified"])


def require_vendor(who: Principal) -> str:
    if who.vendor_key_digest is None:
        raise MaventaApiError(403, FORBIDDEN, "This operation needs a token issued with a vendor_api_key")
    return who.vendor_key_digest


def require_partner(who: Principal, session: Session) -> str:
    """Partner endpoints answer the account that holds the vendor key, not its customers' accounts."""
    vendor = require_vendor(who)
    owner = session.get(VendorKey, vendor)
    if owner is None or owner.company_id != who.company.id:
        raise MaventaApiError(403, FORBIDDEN, "Partner operations need the vendor's own account")
    return vendor


@router.get("/oauth2/current")
async def current(who: PrincipalDep) -> dict[str, Any]:
    company, user = who.company, who.user
    return {
        "user": {
            "id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
        },
        "company": {
            "id": company.id,
            "bid": company.bid,
            "name": company.name,
            "country": company.country,
            "vat": None if company.no_vat else "FI" + company.bid_digits,
            "wizard_done": True,
            "disabled": False,
        },
        "scopes": who.scope.split(),
    }


@router.get("/status/authenticated")
async def authenticated(request: Request, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    raw = _bearer(request) or ""
    token = session.get(Token, digest(raw))
    return {"client_id": who.company.id, "expires_at": timestamp(token.expires_at if token else None)}
