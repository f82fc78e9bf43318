"""Opening receiving when the purchase module opens (R2): Maventa's operator network (VISMA) and scanning."""

from temporalio import activity

from activities.credentials import account_credentials
from activities.maventa_failures import maventa_failures
from clients.maventa import MaventaClient, NetworkProfile
from store.database import Sessions
from workflows.connection_models import AccountRef, Networks

OPERATOR_NETWORK = "VISMA"


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
