"""Webhook subscriptions under /v1/company/notifications (docs/facts/maventa.md §2.9).

WEBHOOK is for the calling company; VENDOR_WEBHOOK (an inference from its name, docs/facts/maventa.md §2.9)
for every company linked to the token's vendor key.
"""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from sandbox.maventa.context import SessionDep
from sandbox.maventa.errors import invalid, not_found
from sandbox.maventa.tables import Notification
from sandbox.maventa.tokens import PrincipalDep, require_vendor
from sandbox.maventa.views import notification_view

router = APIRouter()
DESTINATION_TYPES = {"WEBHOOK", "VENDOR_WEBHOOK"}


class NewNotification(BaseModel):
    destination_type: str = "WEBHOOK"
    destination: str
    events: list[str]


def _own(session: Session, company_id: str, notification_id: str) -> Notification:
    notification = session.get(Notification, notification_id)
    if notification is None or notification.company_id != company_id:
        raise not_found("Notification")
    return notification


@router.post("/v1/company/notifications", status_code=201)
async def subscribe(body: NewNotification, who: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    if body.destination_type not in DESTINATION_TYPES:
        raise invalid(f"destination_type must be one of {', '.join(sorted(DESTINATION_TYPES))}")
    if not body.destination.startswith(("http://", "https://")):
        raise invalid("destination must be an http(s) URL")
    if not body.events:
        raise invalid("events must name at least one event")
    vendor = require_vendor(who) if body.destination_type == "VENDOR_WEBHOOK" else None
    notification = Notification(
        company_id=who.company.id,
        destination_type=body.destination_type,
        destination=body.destination,
        events=body.events,
        vendor_key_digest=vendor,
    )
    session.add(notification)
    session.commit()
    return notification_view(notification)


@router.get("/v1/company/notifications")
async def list_subscriptions(who: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    query = (
        select(Notification)
        .where(Notification.company_id == who.company.id)
        .order_by(col(Notification.created_at))
    )
    return [notification_view(n) for n in session.exec(query).all()]


@router.get("/v1/company/notifications/{notification_id}")
async def get_subscription(notification_id: str, who: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    return notification_view(_own(session, who.company.id, notification_id))


@router.delete("/v1/company/notifications/{notification_id}", status_code=204)
async def unsubscribe(notification_id: str, who: PrincipalDep, session: SessionDep) -> Response:
    session.delete(_own(session, who.company.id, notification_id))
    session.commit()
    return Response(status_code=204)
