"""Netvisor's own Maventa account: the partner queue and the vendor webhook are reached with its keys."""

from clients.maventa import MaventaCredentials
from settings import Settings


def partner_credentials(settings: Settings) -> MaventaCredentials:
    """The partner account's credentials, whose token the partner queue and vendor webhooks need."""
    return MaventaCredentials(
        company_uuid=settings.maventa_partner_company_uuid,
        user_api_key=settings.maventa_partner_user_api_key,
    )
