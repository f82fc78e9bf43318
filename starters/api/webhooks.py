"""Maventa's notifications (§7): `POST /v1/webhooks/maventa/{secret}`.

The secret in the path is the only credential Maventa's webhooks can carry; a wrong one is answered exactly
like a path that does not exist. A received invoice wakes the inbox sweep; delivery events go to the sales
invoice's workflow. Unknown companies and events are acknowledged and logged, so Maventa does not resend them.
"""

import json
import logging
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError

from settings import Settings
from starters.api.auth import maventa_webhook
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.limits import WEBHOOK_BODY_BYTES, body_limit
from starters.api.maventa import maventa_client
from starters.api.store import STORE_UNAVAILABLE, store_sessions
from starters.delivery_notices import DeliveryNotices, pass_on_delivery_notice
from starters.inbound import InboxWaker
from starters.receiving import knows_maventa_company
from workflows.inbox_models import ReceivedNotice

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/v1/webhooks",
    tags=["webhooks"],
    dependencies=[Depends(maventa_webhook)],
    responses=ERROR_RESPONSES,
)

INVOICE_RECEIVED = "DOCUMENTS.INVOICE.RECEIVED"
DELIVERY_EVENTS = frozenset({"DOCUMENTS.INVOICE.DELIVERED", "DOCUMENTS.INVOICE.FAILED"})


class MaventaNotification(BaseModel):
    """Maventa publishes no payload schema (docs/facts/maventa.md §2.9); these are the fields we read."""

    event: str
    company_id: str | None = None
    invoice_id: str | None = None
    happened_at: str | None = None


class Acknowledged(BaseModel):
    acknowledged: bool = True
    handled: bool = False
    detail: str


def inbox_waker(request: Request) -> InboxWaker:
    """The API process's one waker, made on first use."""
    waker: InboxWaker | None = getattr(request.app.state, "inbox_waker", None)
    if waker is None:
        settings: Settings = request.app.state.settings
        window = timedelta(seconds=settings.inbound_webhook_coalesce_s)
        waker = request.app.state.inbox_waker = InboxWaker(window)
    return waker


def delivery_notices(request: Request) -> DeliveryNotices:
    """The API process's coalescer of DELIVERED/FAILED notices, made on first use."""
    notices: DeliveryNotices | None = getattr(request.app.state, "delivery_notices", None)
    if notices is None:
        settings: Settings = request.app.state.settings
        window = timedelta(seconds=settings.inbound_webhook_coalesce_s)
        notices = request.app.state.delivery_notices = DeliveryNotices(window)
    return notices


def _json(raw: bytes) -> Any:
    """The body as JSON; not JSON (or nested deeper than the parser goes) is a 400 Maventa never causes."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(
            400, "invalid_notification", "The notification is not a JSON object: send Maventa's JSON."
        ) from None


def _notification(body: Any) -> MaventaNotification | None:
    try:
        return MaventaNotification.model_validate(body)
    except ValidationError:
        return None


async def _may_be_ours(request: Request, maventa_company_uuid: str | None) -> bool:
    """Whether a received invoice may be one of our companies'. While the store cannot tell, it may: the sweep
    reads Maventa's queue itself and leaves other companies' invoices there, whereas a notice refused now is
    not sent again (docs/facts/maventa.md §2.9) and its invoice would wait for the backstop."""
    if maventa_company_uuid is None:
        return False
    try:
        return await knows_maventa_company(store_sessions(request), maventa_company_uuid)
    except STORE_UNAVAILABLE as error:
        log.warning(
            "store unavailable; the inbox sweep is woken anyway", extra={"error_type": type(error).__name__}
        )
        return True


@router.post("/maventa/{secret}", response_model=Acknowledged, openapi_extra=body_limit(WEBHOOK_BODY_BYTES))
async def maventa_notification(request: Request) -> Acknowledged:
    settings: Settings = request.app.state.settings
    notification = _notification(_json(await request.body()))
    if notification is None:
        log.warning("Maventa notification not understood; acknowledged")
        return Acknowledged(detail="not understood; ignored")
    extra = {"event": notification.event, "maventa_company_uuid": notification.company_id}
    if notification.event == INVOICE_RECEIVED:
        if not await _may_be_ours(request, notification.company_id):
            log.warning("received invoice of an unknown company; acknowledged", extra=extra)
            return Acknowledged(detail="unknown company; ignored")
        notice = ReceivedNotice(
            maventa_company_uuid=notification.company_id, invoice_id=notification.invoice_id
        )
        waker = inbox_waker(request)
        await waker.wake(request.app.state.temporal.client, settings, notice)
        if waker.owing:
            return Acknowledged(handled=True, detail="the inbox sweep will import it once Temporal answers")
        return Acknowledged(handled=True, detail="the inbox sweep will import it")
    if notification.event in DELIVERY_EVENTS and notification.invoice_id:
        client = await request.app.state.temporal.client()
        ours = await pass_on_delivery_notice(
            client,
            maventa_client(request),
            store_sessions(request),
            delivery_notices(request),
            notification.invoice_id,
        )
        if not ours:
            log.warning("delivery event of an unknown sales invoice; acknowledged", extra=extra)
        return Acknowledged(
            handled=ours, detail="followed up with Maventa" if ours else "unknown invoice; ignored"
        )
    log.warning("Maventa notification of an unknown event; acknowledged", extra=extra)
    return Acknowledged(detail="unknown event; ignored")
