"""The time-skipping server, with our search attributes registered (the connection workflow upserts them)."""

import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES


@pytest_asyncio.fixture(loop_scope="session")
async def connection_env(time_skipping_env: WorkflowEnvironment) -> WorkflowEnvironment:
    await time_skipping_env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=time_skipping_env.client.namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL_SEARCH_ATTRIBUTES
            },
        )
    )
    return time_skipping_env
