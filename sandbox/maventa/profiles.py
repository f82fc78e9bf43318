"""Network registrations ("profiles") and the scanning service (docs/facts/maventa.md §2.7, §2.8).

VISMA (receiving in Maventa's operator network), PEPPOL and SCAN are active at once; BANK stays pending
until the banks confirm, by the control endpoint or after `bank_confirm_seconds` (1-3 banking days,
docs/facts/maventa.md §2.7).
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from sandbox.maventa.context import SessionDep
from sandbox.maventa.errors import PROFILE_NAME_CONFLICT, RECEIVING_NOT_ENABLED, MaventaApiError, not_found
from sandbox.maventa.identifiers import is_valid_business_id, ovt_address
from sandbox.maventa.tables import Company, Profile, utcnow
from sandbox.maventa.tokens import PrincipalDep, require_verified
from sandbox.maventa.views import profile_view, scan_view

router = APIRouter()
SUPPORTED_NETWORKS = {"VISMA", "BANK", "PEPPOL", "SCAN"}
# Finnish Peppol ids use EAS 0216 with the OVT code (docs/facts/einvoicing.md §0 item 10).
PEPPOL_SCHEME = "0216"
OVT_SCHEME = "0037"
# "Profile version, eg. EHF30, PEPPOLBIS30" (the OpenAPI); the sandbox's own choice per network [A].
DEFAULT_PROFILE_VERSIONS = {"PEPPOL": "PEPPOLBIS30"}


class NewProfile(BaseModel):
    profiles: list[str] = []
    profile_version: str | None = None
    endpoint_id: str | None = None
    scheme: str | None = None
    network: str = "PEPPOL"
    network_settings: dict[str, Any] | None = None


def company_profiles(session: Session, company_id: str) -> list[Profile]:
    query = select(Profile).where(Profile.company_id == company_id).order_by(col(Profile.created_at))
    return list(session.exec(query).all())


def active_networks(session: Session, company_id: str) -> set[str]:
    return {p.network for p in company_profiles(session, company_id) if p.status == "active"}


def add_profile(session: Session, company: Company, request: NewProfile) -> Profile:
    network = request.network.upper()
    if network not in SUPPORTED_NETWORKS:
        raise MaventaApiError(422, "profile_not_supported", f"Network {network} is not supported")
    if any(p.network == network for p in company_profiles(session, company.id)):
        raise MaventaApiError(422, PROFILE_NAME_CONFLICT, f"A {network} profile already exists")
    scheme, endpoint_id = request.scheme, request.endpoint_id
    if network == "PEPPOL" and scheme and endpoint_id:
        _check_participant(session, company, scheme, endpoint_id)
    if network == "PEPPOL" and not (scheme and endpoint_id):
        if not is_valid_business_id(company.bid):
            # Status 422 and message since 2025-10-15 (docs/facts/maventa.md §2.7); the code is the sandbox's.
            raise MaventaApiError(
                422,
                "profile_auto_generation_failed",
                f"Could not auto-generate scheme and endpoint_id from company business id {company.bid}",
            )
        scheme, endpoint_id = PEPPOL_SCHEME, ovt_address(company.bid)
    pending = network == "BANK"
    profile = Profile(
        company_id=company.id,
        network=network,
        status="pending" if pending else "active",
        endpoint_id=endpoint_id or ovt_address(company.bid),
        scheme=scheme or OVT_SCHEME,
        profiles=request.profiles or ["INVOICE"],
        profile_version=request.profile_version or DEFAULT_PROFILE_VERSIONS.get(network),
        last_event_message="Waiting for the banks to confirm" if pending else "Activated",
    )
    session.add(profile)
    if network == "SCAN":
        company.scan_status = "active"
        session.add(company)
    return profile


def _check_participant(session: Session, company: Company, scheme: str, endpoint_id: str) -> None:
    """The documented 422s of a Peppol registration: an id of another business id, an id in use."""
    if scheme == PEPPOL_SCHEME and endpoint_id != ovt_address(company.bid):
        raise MaventaApiError(
            422, "profile_eia_bid_conflict", "Endpoint id does not match the company business id"
        )
    taken = session.exec(
        select(Profile).where(
            Profile.network == "PEPPOL", Profile.scheme == scheme, Profile.endpoint_id == endpoint_id
        )
    ).first()
    if taken is not None:
        raise MaventaApiError(422, "profile_eia_conflict", "Endpoint id is already in use")


def confirm_bank_network(session: Session, profile: Profile) -> None:
    profile.status = "active"
    profile.last_event_message = "Bank network connection confirmed"
    profile.updated_at = utcnow()
    session.add(profile)


@router.get("/v1/company/profiles")
async def list_profiles(
    who: PrincipalDep, session: SessionDep, network: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """`network` and `status` filters are comma-separated lists (form style without explode)."""
    networks = set(network.split(",")) if network else None
    statuses = set(status.split(",")) if status else None
    profiles = company_profiles(session, who.company.id)
    return [
        profile_view(p)
        for p in profiles
        if (not networks or p.network in networks) and (not statuses or p.status in statuses)
    ]


@router.post("/v1/company/profiles", status_code=201)
async def create_profile(body: NewProfile, who: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    require_verified(who)
    profile = add_profile(session, who.company, body)
    session.commit()
    return profile_view(profile)


def _own_profile(session: Session, company_id: str, profile_id: str) -> Profile:
    profile = session.get(Profile, profile_id)
    if profile is None or profile.company_id != company_id:
        raise not_found("Profile")
    return profile


@router.get("/v1/company/profiles/{profile_id}")
async def get_profile(profile_id: str, who: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return profile_view(_own_profile(session, who.company.id, profile_id))


@router.delete("/v1/company/profiles/{profile_id}", status_code=204)
async def delete_profile(profile_id: str, who: PrincipalDep, session: SessionDep) -> Response:
    profile = _own_profile(session, who.company.id, profile_id)
    if profile.network == "SCAN":
        who.company.scan_status = None
        session.add(who.company)
    session.delete(profile)
    session.commit()
    return Response(status_code=204)


async def _return_address(request: Request) -> dict[str, Any]:
    """Multipart `return_address[email_address]` and `return_address[postal_address][...]` fields."""
    form = await request.form()
    address: dict[str, Any] = {}
    postal: dict[str, Any] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            continue
        if key == "return_address[email_address]":
            address["email_address"] = value
        elif key.startswith("return_address[postal_address]["):
            field = key.removeprefix("return_address[postal_address][").split("]")[0]
            if field == "extra_lines":
                postal.setdefault("extra_lines", []).append(value)
            else:
                postal[field] = value
    if postal:
        address["postal_address"] = postal
    return address


@router.get("/v1/services/scan")
async def scan_service(who: PrincipalDep) -> dict[str, Any]:
    return scan_view(who.company)


@router.post("/v1/services/scan")
async def activate_scan(request: Request, who: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """Receiving must be enabled before any scanning service (docs/facts/maventa.md §2.8). Answers 200 as
    documented, with the configuration as body (the OpenAPI does not describe the body) [A]."""
    return_address = await _return_address(request)
    require_verified(who)
    if "VISMA" not in active_networks(session, who.company.id):
        raise MaventaApiError(
            422,
            RECEIVING_NOT_ENABLED,
            "Receiving (VISMA network) must be enabled before the scanning service",
        )
    company = who.company
    company.scan_return_address = return_address or company.scan_return_address
    if not any(p.network == "SCAN" for p in company_profiles(session, company.id)):
        add_profile(session, company, NewProfile(network="SCAN"))
    company.scan_status = "active"
    session.add(company)
    session.commit()
    return scan_view(company)


@router.put("/v1/services/scan")
async def update_scan(request: Request, who: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return_address = await _return_address(request)
    if who.company.scan_status is None:
        raise not_found("Scan service")
    who.company.scan_return_address = return_address
    session.add(who.company)
    session.commit()
    return scan_view(who.company)


@router.delete("/v1/services/scan", status_code=204)
async def deactivate_scan(who: PrincipalDep, session: SessionDep) -> Response:
    for profile in company_profiles(session, who.company.id):
        if profile.network == "SCAN":
            session.delete(profile)
    who.company.scan_status = None
    session.add(who.company)
    session.commit()
    return Response(status_code=204)
