"""Releasing a company's Maventa account when it leaves Netvisor (R15): the account becomes the customer's.

The PEPPOL registration the service made is removed first, so the company's participant id is free for the
access point it moves to; then Netvisor's vendor link, while the key to do both is still in the vault; then
every secret of the company is deleted and the projection forgets the reference, so nothing can act for the
account again.
"""

import asyncio

from temporalio import activity

from activities.credentials import account_credentials
from activities.maventa_failures import maventa_failures
from clients.maventa import PEPPOL_NETWORK, MaventaClient
from store.companies import CompanyChanges, upsert_company
from store.database import Sessions, unit_of_work
from store.vault import delete_secrets
from workflows.connection_models import AccountRef, CompanyRef, Forgotten


class ReleaseActivities:
    def __init__(self, maventa: MaventaClient, sessions: Sessions) -> None:
        self._maventa = maventa
        self._sessions = sessions

    @activity.defn
    async def unregister_peppol(self, account: AccountRef) -> None:
        """Idempotent: every PEPPOL registration of the company is deleted; none left is what was asked."""
        creds = await account_credentials(self._sessions, account)
        with maventa_failures("removing the company's PEPPOL registration"):
            for profile in await self._maventa.list_profiles(creds):
                if profile.network == PEPPOL_NETWORK:
                    await self._maventa.delete_profile(creds, profile.id)

    @activity.defn
    async def unlink_vendor(self, account: AccountRef) -> None:
        """Idempotent: an account no longer linked to Netvisor's vendor key is what was asked for."""
        creds = await account_credentials(self._sessions, account)
        with maventa_failures("removing Netvisor's vendor link"):
            await self._maventa.unlink_vendor(creds)

    @activity.defn
    async def forget_credentials(self, company: CompanyRef) -> Forgotten:
        """Every vault entry of the company, and the reference and import mode in the projection."""

        def forget() -> int:
            with unit_of_work(self._sessions) as session:
                deleted = delete_secrets(session, company.company_id)
                upsert_company(
                    session,
                    company.company_id,
                    CompanyChanges(credentials_ref=None, import_mode="off", import_from=None),
                )
                return deleted

        return Forgotten(secrets_deleted=await asyncio.to_thread(forget))
