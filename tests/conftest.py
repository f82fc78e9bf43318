"""Shared Temporal fixtures: one dev server per session, a fresh time-skipping server per timed test."""

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from devstack.binaries import temporal_cli, temporal_test_server
from workers.bytecode import cache_workflow_bytecode
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

# Small enough that continue-as-new is suggested within a test.
SUGGEST_CONTINUE_AS_NEW_AFTER_EVENTS = 60


@pytest.fixture(scope="session", autouse=True)
def workflow_bytecode() -> None:
    """The tests' workers, like the service's, import workflow modules for every run (workers/bytecode.py)."""
    cache_workflow_bytecode()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(temporal_cli()),
        search_attributes=ALL_SEARCH_ATTRIBUTES,
        dev_server_extra_args=[
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={SUGGEST_CONTINUE_AS_NEW_AFTER_EVENTS}",
        ],
    )
    yield env
    await env.shutdown()


@pytest.fixture
def temporal_client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4()}"


@pytest_asyncio.fixture(loop_scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(temporal_test_server()),
    )
    yield env
    await env.shutdown()
