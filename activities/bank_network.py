"""The Finnish bank network (R7): requested once when receiving opens, checked until the banks confirm."""

from temporalio import activity

from activities.credentials import account_credentials
from activities.maventa_failures import maventa_failures
from activities.receiving import network_statuses
from clients.maventa import MaventaClient
from store.database import Sessions
from workflows.connection_models import AccountRef, Networks

BANK_NETWORK = "BANK"


class BankNetworkActivities:
    def __init__(self, maventa: MaventaClient, sessions: Sessions) -> None:
        self._maventa = maventa
        self._sessions = sessions

    @activity.defn
    async def request_bank_network(self, account: AccountRef) -> Networks:
        """The BANK profile, created only if the company has none (a retry must not ask the banks twice)."""
        creds = await account_credentials(self._sessions, account)
        with maventa_failures("requesting the bank network"):
            profiles = await self._maventa.list_profiles(creds)
            if BANK_NETWORK not in network_statuses(profiles):
                await self._maventa.create_profile(creds, BANK_NETWORK)
                profiles = await self._maventa.list_profiles(creds)
        return Networks(statuses=network_statuses(profiles))

    @activity.defn
    async def check_networks(self, account: AccountRef) -> Networks:
        """Every network's status as Maventa reports it now; the workflow decides what BANK active means."""
        creds = await account_credentials(self._sessions, account)
        with maventa_failures("checking the bank network"):
            profiles = await self._maventa.list_profiles(creds)
        return Networks(statuses=network_statuses(profiles))
