"""Control endpoints under /_sandbox (§8.1): no auth, loopback callers only, never subject to faults."""

import base64
import binascii
import ipaddress
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from sandbox.maventa.accounts import (
    add_company,
    add_receiving_profiles,
    add_user,
    company_by_business_id,
    new_company,
)
from sandbox.maventa.context import ContextDep, SessionDep
from sandbox.maventa.documents import UnreadableDocument
from sandbox.maventa.errors import FORBIDDEN, RECEIVING_NOT_ENABLED, MaventaApiError, invalid, not_found
from sandbox.maventa.faults import FaultSettings
from sandbox.maventa.identifiers import business_id_digits
from sandbox.maventa.profiles import company_profiles, confirm_bank_network
from sandbox.maventa.receiving import Arrival, missing_network, receive_invoice
from sandbox.maventa.sending import deliver, fail
from sandbox.maventa.tables import Company, Invoice, Membership, User
from sandbox.maventa.views import authorization_view, profile_view, scan_view, timestamp


def loopback_only(request: Request) -> None:
    host = request.client.host if request.client else ""
    try:
        allowed = ipaddress.ip_address(host).is_loopback
    except ValueError:
        allowed = host in ("localhost", "testclient")
    if not allowed:
        raise MaventaApiError(403, FORBIDDEN, "Sandbox controls answer loopback callers only")


router = APIRouter(prefix="/_sandbox", dependencies=[Depends(loopback_only)])


class NewAccount(BaseModel):
    business_id: str
    name: str = Field(min_length=3)


class Arrivals(BaseModel):
    channel: Literal["OPERATOR", "BANK", "PEPPOL", "SCAN"] = "OPERATOR"
    count: int = Field(1, ge=1, le=1000)
    sender_business_id: str | None = None
    number: str | None = None
    sum: Decimal | None = Field(None, description="VAT-excluded total, as the invoice's `sum` field")
    finvoice_base64: str | None = None
    received_at: datetime | None = None


class FailureReason(BaseModel):
    reason: str = "Delivery failed at the recipient's operator"


def _company(session: Session, business_id: str) -> Company:
    company = company_by_business_id(session, business_id)
    if company is None:
        raise not_found(f"Company {business_id}")
    return company


def _sent_summary(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "number": invoice.number,
        "uuid": invoice.uuid,
        "status": invoice.status,
        "recipient": invoice.recipient,
        "created_at": timestamp(invoice.created_at),
    }


@router.post("/accounts", status_code=201)
async def create_account(body: NewAccount, session: SessionDep) -> dict[str, str]:
    """An account made outside Netvisor: verified, receiving, not linked to the vendor (R12-R14)."""
    if len(business_id_digits(body.business_id)) != 8:
        raise invalid("business_id is not a business id")
    if company_by_business_id(session, body.business_id) is not None:
        raise MaventaApiError(409, "bid_already_taken", "BID ALREADY TAKEN")
    user, api_key = add_user(
        session, f"owner+{business_id_digits(body.business_id)}@sandbox.invalid", "Owner"
    )
    company = new_company(body.business_id, body.name)
    company.company_state, company.auth_state = "VERIFIED", "SIGNED"
    add_company(session, company, user)
    add_receiving_profiles(session, company)
    session.commit()
    return {"company_uuid": company.id, "user_api_key": api_key}


@router.post("/companies/{business_id}/received-invoices", status_code=201)
async def arrive(
    business_id: str, body: Arrivals, session: SessionDep, context: ContextDep
) -> list[dict[str, str]]:
    company = _company(session, business_id)
    if company.company_state != "VERIFIED":
        raise MaventaApiError(409, RECEIVING_NOT_ENABLED, "The company is not verified and cannot receive")
    needed = missing_network(session, company, body.channel)
    if needed:
        raise MaventaApiError(
            409,
            RECEIVING_NOT_ENABLED,
            f"The {body.channel} channel needs the company's {needed} profile active",
        )
    document = None
    if body.finvoice_base64 is not None:
        try:
            document = base64.b64decode(body.finvoice_base64, validate=True)
        except binascii.Error as exc:
            raise invalid("finvoice_base64 is not base64") from exc
    received_at = body.received_at or datetime.now(UTC)
    received_at = received_at.astimezone(UTC) if received_at.tzinfo else received_at.replace(tzinfo=UTC)
    ids = []
    for index in range(body.count):
        number = body.number if body.count == 1 or body.number is None else f"{body.number}-{index + 1}"
        arrival = Arrival(
            channel=body.channel,
            received_at=received_at.replace(microsecond=0),
            number=number,
            sender_business_id=body.sender_business_id,
            total_vat_excluded=body.sum,
            document=document,
        )
        try:
            invoice = receive_invoice(session, context.webhooks, company, arrival)
        except UnreadableDocument as exc:
            session.rollback()
            raise invalid("The given document could not be read", [str(exc)]) from exc
        ids.append({"id": invoice.id})
    session.commit()
    return ids


@router.post("/companies/{business_id}/bank-network/confirm")
async def confirm_bank(business_id: str, session: SessionDep) -> dict[str, Any]:
    company = _company(session, business_id)
    bank = next((p for p in company_profiles(session, company.id) if p.network == "BANK"), None)
    if bank is None:
        raise MaventaApiError(
            409, "bank_network_not_requested", "The company has not requested the bank network"
        )
    confirm_bank_network(session, bank)
    session.commit()
    return profile_view(bank)


@router.get("/companies/{business_id}")
async def account(business_id: str, session: SessionDep) -> dict[str, Any]:
    """The account as Maventa sees it. Keys are never shown: the sandbox keeps only their digests."""
    company = _company(session, business_id)
    users = session.exec(select(User).join(Membership).where(Membership.company_id == company.id)).all()
    return {
        "company_uuid": company.id,
        "business_id": company.bid,
        "name": company.name,
        "email": company.email,
        "country": company.country,
        **authorization_view(company),
        "vendor_linked": company.vendor_key_digest is not None,
        "profiles": [profile_view(p) for p in company_profiles(session, company.id)],
        "scan_service": scan_view(company),
        "users": [{"id": u.id, "email": u.email, "first_name": u.first_name} for u in users],
        "created_at": timestamp(company.created_at),
    }


@router.get("/companies/{business_id}/sent-invoices")
async def sent_invoices(business_id: str, session: SessionDep) -> list[dict[str, Any]]:
    company = _company(session, business_id)
    query = (
        select(Invoice)
        .where(Invoice.company_id == company.id, Invoice.direction == "SENT")
        .order_by(col(Invoice.created_at))
    )
    return [_sent_summary(i) for i in session.exec(query).all()]


def _pending_sent(session: Session, invoice_id: str) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.direction != "SENT":
        raise not_found("Sent invoice")
    if invoice.status != "PENDING":
        raise MaventaApiError(409, "document_in_invalid_state", f"The invoice is already {invoice.status}")
    return invoice


@router.post("/sent-invoices/{invoice_id}/deliver")
async def deliver_now(invoice_id: str, session: SessionDep, context: ContextDep) -> dict[str, Any]:
    invoice = _pending_sent(session, invoice_id)
    deliver(session, context.webhooks, invoice)
    session.commit()
    return _sent_summary(invoice)


@router.post("/sent-invoices/{invoice_id}/fail")
async def fail_now(
    invoice_id: str, session: SessionDep, context: ContextDep, body: FailureReason | None = None
) -> dict[str, Any]:
    invoice = _pending_sent(session, invoice_id)
    fail(session, context.webhooks, invoice, (body or FailureReason()).reason)
    session.commit()
    return _sent_summary(invoice)


@router.put("/faults")
async def set_faults(body: FaultSettings, context: ContextDep) -> FaultSettings:
    context.faults.set(body)
    return context.faults.settings


@router.delete("/faults", status_code=204)
async def clear_faults(context: ContextDep) -> Response:
    context.faults.clear()
    return Response(status_code=204)
