"""A company's receiving account as the manual transfer (R11) and Maventa's webhook read it: known here, with
a Maventa account whose keys the service holds, and receiving through Netvisor by the lifecycle policy.

The company's API key is read from the vault here, next to the Maventa call that needs it, and never leaves
the process.
"""

import asyncio
from dataclasses import dataclass

from clients.maventa import MaventaCredentials
from store.companies import find_by_maventa_company_uuid, get_company
from store.database import Sessions, reading
from store.vault import get_secret
from workflows.connection_policy import receiving_refusal


class NotReceiving(Exception):
    """The company's received invoices cannot be read here; `code` says why (unknown_company,
    no_maventa_account, not_receiving) and the message what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ReceivingAccount:
    company_id: str
    maventa_company_uuid: str
    credentials: MaventaCredentials


async def receiving_account(sessions: Sessions, company_id: str) -> ReceivingAccount:
    def read() -> ReceivingAccount:
        with reading(sessions) as session:
            row = get_company(session, company_id)
            if row is None:
                raise NotReceiving(
                    "unknown_company",
                    f"Company {company_id} is not known: report it with PUT /v1/companies/{{id}}.",
                )
            if not row.maventa_company_uuid or not row.credentials_ref:
                raise NotReceiving(
                    "no_maventa_account",
                    f"Company {company_id} has no Maventa account yet; create the connection first.",
                )
            if (refusal := receiving_refusal(company_id, row.lifecycle_state)) is not None:
                raise NotReceiving("not_receiving", refusal)
            key = get_secret(session, row.credentials_ref)
            creds = MaventaCredentials(company_uuid=row.maventa_company_uuid, user_api_key=key)
            return ReceivingAccount(company_id, row.maventa_company_uuid, creds)

    return await asyncio.to_thread(read)


async def maventa_company_of(sessions: Sessions, company_id: str) -> str | None:
    """The company's Maventa company, if the service holds its keys (whatever its state)."""

    def read() -> str | None:
        with reading(sessions) as session:
            row = get_company(session, company_id)
            return row.maventa_company_uuid if row is not None and row.credentials_ref else None

    return await asyncio.to_thread(read)


async def knows_maventa_company(sessions: Sessions, maventa_company_uuid: str) -> bool:
    """Whether the Maventa company is one of ours whose keys the service holds (the webhook's question)."""

    def read() -> bool:
        with reading(sessions) as session:
            row = find_by_maventa_company_uuid(session, maventa_company_uuid)
            return row is not None and bool(row.credentials_ref)

    return await asyncio.to_thread(read)
