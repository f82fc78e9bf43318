"""Shared Temporal fixtures: one dev server per session, a fresh time-skipping server per timed test.

A test marked `calendar` runs once from each of tests/clock.py's CLOCK_STARTS: its time-skipping server is
moved to that moment before the test begins, so a test that would fail on some later date fails today.
"""

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from devstack.binaries import temporal_cli, temporal_test_server
from tests.clock import CLOCK_STARTS, TODAY, ClockStart, server_time, skip_to
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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("calendar") is not None:
        metafunc.parametrize("clock_start", CLOCK_STARTS, ids=[start.name for start in CLOCK_STARTS])


@pytest.fixture
def clock_start(request: pytest.FixtureRequest) -> ClockStart:
    """Where a test's clock starts: today, or each of CLOCK_STARTS for a test marked `calendar`."""
    start: ClockStart = getattr(request, "param", TODAY)
    return start


@pytest_asyncio.fixture(loop_scope="session")
async def time_skipping_env(clock_start: ClockStart) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(temporal_test_server()),
    )
    moment = clock_start.at(await server_time(env))
    if moment is not None:
        await skip_to(env, moment)
    yield env
    await env.shutdown()
