"""OAuth2 client credentials as Maventa does them (docs/facts/maventa.md §1).

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

from contracts.maventa_openapi import maventa_contract
from sandbox.maventa.context import ContextDep, SessionDep
from sandbox.maventa.errors import (
    COMPANY_UNVERIFIED,
    FORBIDDEN,
    INVALID_CLIENT,
    INVALID_SCOPE,
    TOKEN_EXPIRED,
    TOKEN_INVALID,
    MaventaApiError,
    invalid,
)
from sandbox.maventa.identifiers import digest
from sandbox.maventa.tables import Company, Membership, Token, User, VendorKey, utcnow
from sandbox.maventa.views import compact, timestamp

router = APIRouter()
# With no scope asked for, a token gets `global company` (docs/facts/maventa.md §1.4).
DEFAULT_SCOPE = "global company"
PARTNER_SCOPE_PREFIX = "partner:"


@dataclass
class Principal:
    company: Company
    user: User
    vendor_key_digest: str | None
    scope: str


async def _token_request_fields(request: Request) -> dict[str, str]:
    """Form-encoded, the one content type the OpenAPI documents (the contract check refuses others)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _granted_scope(requested: str | None, company: Company, session: Session) -> str:
    """The scopes asked for, if the OpenAPI defines them and the account may hold them: partner scopes
    only for the account that holds the vendor key [A]. Refused as OAuth2's `invalid_scope` [A]."""
    if not requested:
        return DEFAULT_SCOPE
    asked = requested.split()
    unknown = sorted(set(asked) - maventa_contract().scopes)
    if unknown:
        raise MaventaApiError(400, INVALID_SCOPE, "Unknown scope", [f"unknown scope: {s}" for s in unknown])
    is_partner = session.exec(select(VendorKey).where(VendorKey.company_id == company.id)).first()
    partner_scopes = sorted(s for s in asked if s.startswith(PARTNER_SCOPE_PREFIX))
    if partner_scopes and is_partner is None:
        raise MaventaApiError(
            400,
            INVALID_SCOPE,
            "Partner scopes are granted to the vendor's own account only",
            [f"not granted: {s}" for s in partner_scopes],
        )
    return " ".join(asked)


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
    company = session.get(Company, client_id)
    assert company is not None  # a membership names an existing company
    scope = _granted_scope(fields.get("scope"), company, session)
    access_token = secrets.token_urlsafe(32)
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


def bearer_token(request: Request, session: Session) -> Token:
    """The request's valid token; an unknown and an expired one answer 401 with different codes [A]."""
    raw = _bearer(request)
    token = session.get(Token, digest(raw)) if raw else None
    if token is None:
        raise MaventaApiError(401, TOKEN_INVALID, "The provided token is not valid")
    if token.expires_at <= utcnow():
        raise MaventaApiError(401, TOKEN_EXPIRED, "The provided token has expired")
    return token


def remember_checked(request: Request, token: Token) -> None:
    """The contract check's valid token, kept for the route, which would otherwise read it again."""
    request.state.checked_token = token


def _checked_or_bearer(request: Request, session: Session) -> Token:
    token: Token | None = getattr(request.state, "checked_token", None)
    return token if token is not None else bearer_token(request, session)


async def principal(request: Request, session: SessionDep) -> Principal:
    token = _checked_or_bearer(request, session)
    company = session.get(Company, token.company_id)
    user = session.get(User, token.user_id)
    if company is None or user is None:
        raise MaventaApiError(401, TOKEN_INVALID, "The provided token is not valid")
    return Principal(company=company, user=user, vendor_key_digest=token.vendor_key_digest, scope=token.scope)


PrincipalDep = Annotated[Principal, Depends(principal)]


def require_verified(who: Principal) -> None:
    """Unverified companies cannot send, receive or activate services (docs/facts/maventa.md §2.6)."""
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
    return compact(
        {
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
    )


@router.get("/status/authenticated")
async def authenticated(request: Request, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    raw = _bearer(request) or ""
    token = session.get(Token, digest(raw))
    return compact(
        {"client_id": who.company.id, "expires_at": timestamp(token.expires_at if token else None)}
    )
