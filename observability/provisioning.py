"""Provisioning outcomes (R1), counted when the connection workflow writes a company's projection.

The projection write is the one place a company's shown state changes, so comparing the stored row before the
write with the state written tells what provisioning came to; a retried write finds the new state stored
already and counts nothing twice.
"""

import asyncio

from prometheus_client import Counter

from store.companies import get_company
from store.database import Sessions, reading
from workflows.connection_models import Projection
from workflows.connection_policy import ConnectionStatus, provisioning_outcome_of

PROVISIONING_OUTCOMES = Counter(
    "maventa_provisioning_outcomes",
    "What creating a company's Maventa account came to: account_created, existing_account (business id "
    "taken at Maventa), failed (support must act) or late (not ready by the end of the founding day)",
    ["outcome"],
)

PROVISIONING = ConnectionStatus.PROVISIONING.value


def provisioning_outcome(before: tuple[str, bool] | None, after: Projection) -> str | None:
    """The outcome a projection write records, given the stored (state, needs_support) before it."""
    if before is None or before[0] != PROVISIONING:
        return None
    if after.state == PROVISIONING:
        return "late" if after.needs_support and not before[1] else None
    return provisioning_outcome_of(after.state)


async def stored_state(sessions: Sessions, company_id: str) -> tuple[str, bool] | None:
    """The company's projected (state, needs_support), None before its first write."""

    def read() -> tuple[str, bool] | None:
        with reading(sessions) as session:
            row = get_company(session, company_id)
            return None if row is None else (row.state, row.needs_support)

    return await asyncio.to_thread(read)
