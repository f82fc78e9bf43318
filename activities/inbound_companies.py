"""Which company a received invoice belongs to, whether it imports, and its Maventa credentials.

The connection workflow owns a company's state and import mode; inbound reads them from the companies
projection it writes. The user's API key is read from the vault here, next to the call that needs it, and
never leaves the process.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime

from clients.maventa import MaventaCredentials
from domain.identifiers import InvalidIdentifier, normalise_business_id
from store.companies import Company, find_by_maventa_company_uuid
from store.database import Sessions, reading
from store.vault import get_secret
from workflows.connection_policy import imports_automatically, receives


@dataclass(frozen=True)
class ReceivingCompany:
    company_id: str
    business_id: str
    maventa_company_uuid: str
    credentials_ref: str
    lifecycle_state: str
    import_mode: str
    import_from: datetime | None

    @property
    def receives(self) -> bool:
        """Whether its received invoices go to Netvisor: the lifecycle state decides, not the shown one (a
        step that failed for good does not stop receiving that is open)."""
        return receives(self.lifecycle_state)

    @property
    def organisation_id(self) -> str:
        """Netvisor's organisation id is the business id with its hyphen."""
        try:
            return normalise_business_id(self.business_id)
        except InvalidIdentifier:
            return self.business_id

    def imports_automatically(self, received_at: datetime) -> bool:
        return imports_automatically(self.lifecycle_state, self.import_mode, self.import_from, received_at)


def _receiving(row: Company | None) -> ReceivingCompany | None:
    if row is None or not row.maventa_company_uuid or not row.credentials_ref:
        return None
    return ReceivingCompany(
        company_id=row.company_id,
        business_id=row.business_id,
        maventa_company_uuid=row.maventa_company_uuid,
        credentials_ref=row.credentials_ref,
        lifecycle_state=row.lifecycle_state,
        import_mode=row.import_mode,
        import_from=row.import_from,
    )


async def company_by_maventa_uuid(sessions: Sessions, maventa_company_uuid: str) -> ReceivingCompany | None:
    """The company Maventa names, if the service knows it and holds its keys."""

    def read() -> ReceivingCompany | None:
        with reading(sessions) as session:
            return _receiving(find_by_maventa_company_uuid(session, maventa_company_uuid))

    return await asyncio.to_thread(read)


async def credentials(sessions: Sessions, company: ReceivingCompany) -> MaventaCredentials:
    def read() -> MaventaCredentials:
        with reading(sessions) as session:
            key = get_secret(session, company.credentials_ref)
        return MaventaCredentials(company_uuid=company.maventa_company_uuid, user_api_key=key)

    return await asyncio.to_thread(read)
