"""A bank-network check that falls due while the connection workflow is still busy must still be made.

Found by the fault matrix's stack: with a short check cadence (`make run` uses 5 s) and a loaded worker, the
check time passes while the workflow records its projection; its rest then waits only for the deadline, days
away, and the company sits in RECEIVING although the banks have confirmed.
"""

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from tests.workflows.connection_fakes import FakeServices, company_report, connection_running, view_when
from workflows.connection_models import Projection
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES


class SlowProjection(FakeServices):
    """The projection's write takes longer than the bank-check cadence, as on a loaded worker."""

    def activities(self) -> list[Callable[..., Any]]:
        @activity.defn(name="record_company")
        async def record_company(projection: Projection) -> None:
            await asyncio.sleep(0.5)
            self.calls["record_company"] += 1
            self.projections.append(projection)

        others = [fake for fake in super().activities() if fake.__name__ != "record_company"]
        return [*others, record_company]


async def test_a_check_due_while_busy_is_made_at_once(time_skipping_env: WorkflowEnvironment) -> None:
    await time_skipping_env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=time_skipping_env.client.namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL_SEARCH_ATTRIBUTES
            },
        )
    )
    fakes = SlowProjection()
    async with connection_running(
        time_skipping_env.client,
        fakes,
        company_report(purchases=True),
        bank_check_every=timedelta(milliseconds=100),
        bank_checks_on_any_day=True,
    ) as handle:
        await view_when(handle, lambda v: v.state == "RECEIVING")
        fakes.bank_confirmed = True
        view = await view_when(handle, lambda v: v.state == "CONNECTED", within_s=8)

    requested_at = view.bank_network.requested_at
    confirmed_at = view.bank_network.confirmed_at
    assert requested_at is not None and confirmed_at is not None
    assert confirmed_at - requested_at < timedelta(minutes=1), (
        f"the first check came {confirmed_at - requested_at} after the request, at the deadline"
    )
