"""The companies projection (store.companies) written after every change of a company's connection.

The API's support listing reads its shown state; the inbound sweep and sales invoices read its lifecycle
state; the workflow stays the only owner of both.
"""

import asyncio

from temporalio import activity

from observability.provisioning import count_provisioning_outcome
from store.companies import CompanyChanges, get_company, upsert_company
from store.database import Sessions, unit_of_work
from workflows.connection_models import Projection


class ProjectionActivities:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    @activity.defn
    async def record_company(self, projection: Projection) -> None:
        """Account ids the workflow does not know yet stay as the provisioning activities recorded them.

        A projection scheduled by a workflow version without `lifecycle_state` records its shown state there,
        as the migration did for existing rows. The write is the one place a company's shown state changes,
        so it also counts what provisioning came to (observability/provisioning.py).
        """
        changes = projection.model_dump(exclude={"company_id"})
        changes["import_mode"] = projection.import_mode.value
        lifecycle = projection.lifecycle_state
        changes["lifecycle_state"] = projection.state if lifecycle is None else lifecycle.value
        for recorded_by_activities in ("maventa_company_uuid", "credentials_ref"):
            if changes[recorded_by_activities] is None:
                del changes[recorded_by_activities]

        def write() -> tuple[str, bool] | None:
            with unit_of_work(self._sessions) as session:
                stored = get_company(session, projection.company_id)
                before = None if stored is None else (stored.state, stored.needs_support)
                upsert_company(session, projection.company_id, CompanyChanges(**changes))
                return before

        before = await asyncio.to_thread(write)
        count_provisioning_outcome(before, projection)
