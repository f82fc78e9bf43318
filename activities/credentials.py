"""A company's Maventa credentials, read from the vault only inside the activity that uses them."""

import asyncio

from clients.maventa import MaventaCredentials
from store.database import Sessions, reading
from store.vault import get_secret
from workflows.connection_models import AccountRef


async def account_credentials(sessions: Sessions, account: AccountRef) -> MaventaCredentials:
    def read() -> MaventaCredentials:
        with reading(sessions) as session:
            key = get_secret(session, account.credentials_ref)
        return MaventaCredentials(company_uuid=account.company_uuid, user_api_key=key)

    return await asyncio.to_thread(read)
