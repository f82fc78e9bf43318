"""Linking an existing Maventa account to Netvisor by its keys (R12, and R14's send-only with keys).

The API checked the keys with Maventa and put the API key into the vault; this activity only ever sees the
vault reference, reads the key next to the calls that need it, and forgets the reference the link replaces.
"""

import asyncio

from temporalio import activity

from activities.credentials import account_credentials
from activities.maventa_failures import maventa_failures
from activities.receiving import network_statuses
from clients.maventa import MaventaClient
from store.database import Sessions, unit_of_work
from store.vault import forget_secret
from workflows.connection_models import LinkAccount, Networks


class LinkActivities:
    def __init__(self, maventa: MaventaClient, sessions: Sessions) -> None:
        self._maventa = maventa
        self._sessions = sessions

    @activity.defn
    async def link_existing_account(self, link: LinkAccount) -> Networks:
        """Netvisor's vendor key on the account (only if missing), and the networks the account has now."""
        creds = await account_credentials(self._sessions, link.account)
        with maventa_failures("linking the account to Netvisor's vendor key"):
            if await self._maventa.vendor_link_state(creds) is None:
                await self._maventa.link_vendor(creds)
            profiles = await self._maventa.list_profiles(creds)
        if link.replaces_ref is not None and link.replaces_ref != link.account.credentials_ref:
            await asyncio.to_thread(self._forget, link.replaces_ref)
        return Networks(statuses=network_statuses(profiles))

    def _forget(self, ref: str) -> None:
        with unit_of_work(self._sessions) as session:
            forget_secret(session, ref)
