"""Maventa's webhook for every company of the vendor key, subscribed once (docs/facts/maventa.md §2.9).

The worker calls `ensure_webhook_subscription` at start (`starters.inbound.start_receiving`). A subscription
with the same destination and every event already in place is kept, so restarts add nothing; a changed secret
or URL gets a new subscription.
"""

import logging

from clients.maventa_partner import partner_credentials
from settings import Settings
from workers.dependencies import Dependencies

log = logging.getLogger(__name__)

WEBHOOK_EVENTS = ["DOCUMENTS.INVOICE.RECEIVED", "DOCUMENTS.INVOICE.DELIVERED", "DOCUMENTS.INVOICE.FAILED"]
VENDOR_WEBHOOK = "VENDOR_WEBHOOK"


def webhook_url(settings: Settings) -> str:
    secret = settings.api_webhook_secret.get_secret_value()
    return f"{settings.webhook_base_url.rstrip('/')}/v1/webhooks/maventa/{secret}"


async def ensure_webhook_subscription(dependencies: Dependencies, settings: Settings) -> bool:
    """Subscribe the vendor webhook unless it is there; True if this call subscribed it."""
    partner = partner_credentials(settings)
    destination = webhook_url(settings)
    for existing in await dependencies.maventa.list_notifications(partner):
        if (
            existing.destination_type == VENDOR_WEBHOOK
            and existing.destination == destination
            and set(WEBHOOK_EVENTS) <= set(existing.events)
        ):
            return False
    await dependencies.maventa.subscribe_notifications(partner, destination, WEBHOOK_EVENTS, VENDOR_WEBHOOK)
    log.info(
        "Maventa webhook subscribed", extra={"events": WEBHOOK_EVENTS, "base_url": settings.webhook_base_url}
    )
    return True
