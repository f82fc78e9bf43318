"""A company's Maventa credentials, read from the vault only inside the activity that uses them."""

import asyncio

from sqlalchemy import delete
from sqlmodel import Session

from clients.maventa import MaventaCredentials
from store.database import Sessions, reading
from store.vault import StoredSecret, get_secret
from workflows.connection_models import AccountRef

USER_API_KEY = "maventa_user_api_key"
"""The vault kind of a company's Maventa user API key (the owner is the Netvisor company id)."""


async def account_credentials(sessions: Sessions, account: AccountRef) -> MaventaCredentials:
    def read() -> MaventaCredentials:
        with reading(sessions) as session:
            key = get_secret(session, account.credentials_ref)
        return MaventaCredentials(company_uuid=account.company_uuid, user_api_key=key)

    return await asyncio.to_thread(read)


def forget_secret(session: Session, ref: str) -> None:
    """Delete the one vault entry under ref (keys that were replaced or never adopted); no entry is fine."""
    session.execute(delete(StoredSecret).where(StoredSecret.ref == ref))  # type: ignore[arg-type]
