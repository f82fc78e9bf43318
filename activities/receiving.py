"""Opening receiving when the purchase module opens (R2): Maventa's operator network (VISMA), scanning, and
the PEPPOL network, where Maventa receives Peppol invoices only for registered participants."""

import logging

from temporalio import activity

from activities.credentials import account_credentials
from activities.maventa_failures import maventa_failures
from clients.maventa import PEPPOL_NETWORK, MaventaClient, MaventaRequestError, NetworkProfile
from store.database import Sessions
from workflows.connection_models import AccountRef, Networks, PeppolRegistration

log = logging.getLogger(__name__)

OPERATOR_NETWORK = "VISMA"
__all__ = ["OPERATOR_NETWORK", "PEPPOL_NETWORK", "PEPPOL_REFUSED", "ReceivingActivities", "network_statuses"]
# POST /v1/company/profiles 422s that say the participant id cannot be this company's: "Endpoint id is
# already in use" (another access point or account has it) and "does not match the company business id".
PEPPOL_ID_REFUSALS = frozenset({"profile_eia_conflict", "profile_eia_bid_conflict"})
PEPPOL_REFUSED = "error"


def network_statuses(profiles: list[NetworkProfile]) -> dict[str, str]:
    return {profile.network: profile.status for profile in profiles}


class ReceivingActivities:
    def __init__(self, maventa: MaventaClient, sessions: Sessions) -> None:
        self._maventa = maventa
        self._sessions = sessions

    @activity.defn
    async def open_receiving(self, account: AccountRef) -> Networks:
        """VISMA first (Maventa refuses scanning without it), then the scanning service; each if missing."""
        creds = await account_credentials(self._sessions, account)
        with maventa_failures("opening receiving"):
            profiles = await self._maventa.list_profiles(creds)
            if OPERATOR_NETWORK not in network_statuses(profiles):
                await self._maventa.create_profile(creds, OPERATOR_NETWORK)
            scan = await self._maventa.activate_scan_service(creds)
            profiles = await self._maventa.list_profiles(creds)
        scan_address = scan.scan_address.email_address if scan.scan_address else None
        return Networks(statuses=network_statuses(profiles), scan_address=scan_address)

    @activity.defn
    async def register_peppol(self, registration: PeppolRegistration) -> Networks:
        """PEPPOL's status after registering the company's participant id (an existing registration is kept).

        A participant id Maventa refuses as taken stays out of the way of the other networks: PEPPOL shows
        `error` in the account view and receiving opens without it."""
        creds = await account_credentials(self._sessions, registration.account)
        with maventa_failures("registering the company on PEPPOL"):
            try:
                profile = await self._maventa.register_peppol(creds, registration.business_id)
            except MaventaRequestError as refused:
                if refused.status != 422 or refused.code not in PEPPOL_ID_REFUSALS:
                    raise
                log.warning("Maventa refused the Peppol participant id: %s", refused.message)
                return Networks(statuses={PEPPOL_NETWORK: PEPPOL_REFUSED})
        return Networks(statuses={PEPPOL_NETWORK: profile.status})
