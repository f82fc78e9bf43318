"""Accounts for customers: users, partner lookups, companies, KYC, the vendor link.

Facts: docs/facts/maventa.md §2.5, §2.6.
"""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import select

from sandbox.maventa.accounts import add_company, add_user, company_by_business_id, new_company
from sandbox.maventa.context import SessionDep
from sandbox.maventa.errors import (
    BID_ALREADY_TAKEN,
    EMAIL_TAKEN,
    INVALID_CLIENT,
    MaventaApiError,
    invalid,
    not_found,
)
from sandbox.maventa.identifiers import business_id_digits
from sandbox.maventa.tables import Company, Membership, User
from sandbox.maventa.tokens import (
    PrincipalDep,
    known_vendor_key,
    require_partner,
    require_vendor,
    user_by_key,
)
from sandbox.maventa.views import authorization_view, compact

router = APIRouter()
# FI, SE, NO, DK, NL, EE, BE and DE, with IT experimental (docs/facts/maventa.md §2.6, the OpenAPI).
COUNTRIES = {"FI", "SE", "NO", "DK", "NL", "EE", "BE", "DE", "IT"}
# The sandbox answers GET /v1/company/vendors with this state when linked; Maventa's value is not public.
VENDOR_LINKED = "ACTIVE"


class NewUser(BaseModel):
    vendor_api_key: str
    email: str
    first_name: str = ""
    last_name: str = ""


class AuthorizationRequest(BaseModel):
    auth_email: str
    locale: str
    # "JSON string used to provide proof of KYC process. Mandatory when partner has own KYC process."
    options: str | None = None


@router.post("/v1/users", status_code=201)
async def create_user(body: NewUser, session: SessionDep) -> dict[str, str]:
    """Needs no token, only the vendor key (docs/facts/maventa.md §2.6 step 1)."""
    if known_vendor_key(session, body.vendor_api_key) is None:
        raise MaventaApiError(401, INVALID_CLIENT, "Invalid vendor_api_key")
    if session.exec(select(User).where(User.email == body.email)).first() is not None:
        raise MaventaApiError(422, EMAIL_TAKEN, "A user with this email already exists")
    _, api_key = add_user(session, body.email, body.first_name, body.last_name)
    session.commit()
    return {"user_api_key": api_key}


@router.get("/v1/partner/lookups/companies")
async def lookup_companies(
    who: PrincipalDep, session: SessionDep, bids: str, country: str
) -> list[dict[str, str]]:
    """`bids` is comma-separated (an array in form style without explode, the OpenAPI)."""
    require_partner(who, session)
    business_ids = [bid for bid in bids.split(",") if bid]
    if not 1 <= len(business_ids) <= 10:
        raise invalid("bids takes 1 to 10 business ids")
    return [
        {
            "company_bid": bid,
            "company_status": "RESERVED" if company_by_business_id(session, bid) is not None else "FREE",
        }
        for bid in business_ids
    ]


@router.post("/v1/companies", status_code=201)
async def create_company(
    session: SessionDep,
    vendor_api_key: Annotated[str, Form()],
    user_api_key: Annotated[str, Form()],
    name: Annotated[str, Form(min_length=3)],
    bid: Annotated[str, Form()],
    email: Annotated[str, Form()],
    country: Annotated[str, Form()],
    no_vat: Annotated[bool, Form()],
    address1: Annotated[str, Form()],
    post_code: Annotated[str, Form()],
    post_office: Annotated[str, Form()],
    city: Annotated[str, Form()],
    address2: Annotated[str, Form()] = "",
) -> dict[str, str]:
    """Multipart, no token; the new company is linked to the calling vendor at once
    (docs/facts/maventa.md §2.6)."""
    vendor = known_vendor_key(session, vendor_api_key)
    user = user_by_key(session, user_api_key)
    if vendor is None or user is None:
        raise MaventaApiError(401, INVALID_CLIENT, "Invalid vendor_api_key or user_api_key")
    if country not in COUNTRIES:
        raise invalid(f"country must be one of {', '.join(sorted(COUNTRIES))}")
    if len(business_id_digits(bid)) != 8:
        raise invalid("bid is not a business id or VAT number")
    if company_by_business_id(session, bid) is not None:
        raise MaventaApiError(
            422, BID_ALREADY_TAKEN, "BID ALREADY TAKEN", [f"bid {bid} is already registered"]
        )
    company = new_company(bid, name)
    company.email, company.country, company.no_vat = email, country, no_vat
    company.address1 = " ".join(p for p in (address1, address2) if p)
    company.post_code, company.post_office, company.city = post_code, post_office, city
    add_company(session, company, user)
    company.vendor_key_digest = vendor.digest
    session.commit()
    return {"id": company.id}


@router.get("/v1/companies")
async def list_companies(who: PrincipalDep, session: SessionDep) -> list[dict[str, str]]:
    companies = session.exec(
        select(Company).join(Membership).where(Membership.user_id == who.user.id).order_by(Company.name)
    ).all()
    return [compact({"id": c.id, "name": c.name, "bid": c.bid}) for c in companies]


@router.post("/v1/company/authorization")
async def request_authorization(
    body: AuthorizationRequest, who: PrincipalDep, session: SessionDep
) -> dict[str, Any]:
    """A partner's own KYC proof (`options`, a JSON string) verifies at once; otherwise a Visma Sign request
    is "SENT". The answer is `{status, count}` (API_Entities_CompanyAuthorization), not the new state.

    Instant verification on a partner proof, and the `status` words, are the sandbox's assumptions [A];
    Maventa says neither how long it takes nor what `status` holds ("The authorization result").
    """
    company = who.company
    company.auth_email = body.auth_email
    if body.options is not None:
        try:
            proof = json.loads(body.options)
        except ValueError:
            raise invalid("options must be a JSON string", ["options is not JSON"]) from None
        if not isinstance(proof, dict) or not proof:
            raise invalid("options must be a JSON object with the KYC proof")
    if body.options and who.vendor_key_digest is not None:
        company.auth_state, company.company_state = "SIGNED", "VERIFIED"
        status = "VERIFIED"
    else:
        if company.company_state != "VERIFIED":
            company.auth_state = "SENT"
        status = "SENT"
    session.add(company)
    session.commit()
    return {"status": status, "count": 1}


@router.get("/v1/company/authorization")
async def authorization_status(who: PrincipalDep) -> dict[str, Any]:
    return authorization_view(who.company)


@router.get("/v1/companies/{company_id}/status")
async def company_status(company_id: str, who: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    company = session.get(Company, company_id)
    if company is None or session.get(Membership, (who.user.id, company_id)) is None:
        raise not_found("Company")
    return authorization_view(company)


@router.get("/v1/company/vendors")
async def vendor_link(who: PrincipalDep) -> dict[str, str]:
    if who.vendor_key_digest is None or who.company.vendor_key_digest != who.vendor_key_digest:
        raise not_found("Vendor link")
    return {"state": VENDOR_LINKED}


@router.post("/v1/company/vendors", status_code=201)
async def link_vendor(who: PrincipalDep, session: SessionDep) -> dict[str, str]:
    who.company.vendor_key_digest = require_vendor(who)
    session.add(who.company)
    session.commit()
    return {"state": VENDOR_LINKED}


@router.delete("/v1/company/vendors", status_code=204)
async def unlink_vendor(who: PrincipalDep, session: SessionDep) -> Response:
    vendor = require_vendor(who)
    if who.company.vendor_key_digest != vendor:
        raise not_found("Vendor link")
    who.company.vendor_key_digest = None
    session.add(who.company)
    session.commit()
    return Response(status_code=204)
