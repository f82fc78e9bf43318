"""Creating users and companies, shared by the API, the control endpoints and the seeded partner account."""

import secrets

from sqlmodel import Session, select

from sandbox.maventa.config import MaventaSandboxConfig
from sandbox.maventa.identifiers import business_id_digits, digest, format_business_id, ovt_address
from sandbox.maventa.tables import Company, Membership, Profile, User, VendorKey


def new_api_key() -> str:
    return secrets.token_hex(20)


def add_user(session: Session, email: str, first_name: str = "", last_name: str = "") -> tuple[User, str]:
    api_key = new_api_key()
    user = User(email=email, first_name=first_name, last_name=last_name, api_key_digest=digest(api_key))
    session.add(user)
    return user, api_key


def company_by_business_id(session: Session, business_id: str) -> Company | None:
    digits = business_id_digits(business_id)
    return session.exec(select(Company).where(Company.bid_digits == digits)).first()


def new_company(business_id: str, name: str) -> Company:
    return Company(bid=format_business_id(business_id), bid_digits=business_id_digits(business_id), name=name)


def add_company(session: Session, company: Company, user: User) -> Company:
    session.add(company)
    session.flush()
    session.add(Membership(user_id=user.id, company_id=company.id))
    return company


def add_receiving_profiles(session: Session, company: Company) -> None:
    """An account in use elsewhere already receives through the operator and the bank network."""
    for network in ("VISMA", "BANK"):
        session.add(
            Profile(
                company_id=company.id,
                network=network,
                status="active",
                endpoint_id=ovt_address(company.bid),
                scheme="0037",
                profiles=["INVOICE"],
                last_event_message="Activated",
            )
        )


def seed_partner(session: Session, config: MaventaSandboxConfig) -> None:
    """Netvisor's own Maventa account, holding the vendor key (§8.1, settings maventa_partner_*)."""
    if session.get(Company, config.partner_company_uuid) is not None:
        return
    user_key = config.partner_user_api_key.get_secret_value()
    user = User(email="partner@sandbox.invalid", first_name="Partner", api_key_digest=digest(user_key))
    session.add(user)
    company = new_company(config.partner_business_id, config.partner_name)
    company.id = config.partner_company_uuid
    company.company_state, company.auth_state = "VERIFIED", "SIGNED"
    add_company(session, company, user)
    vendor_digest = digest(config.vendor_api_key.get_secret_value())
    company.vendor_key_digest = vendor_digest
    session.add(VendorKey(digest=vendor_digest, company_id=company.id))
    session.commit()
