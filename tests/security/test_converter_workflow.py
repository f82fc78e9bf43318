"""A workflow on the dev server with the service's converter: the server sees ciphertext only."""

import uuid
from datetime import timedelta

import pytest
from pydantic import BaseModel, SecretStr
from temporalio import activity, workflow
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from security.converter import data_converter
from security.keys import new_key
from settings import Settings

SECRET_LOOKING = "user-api-key-c0ffee-4f1d-9a7e"


class KeyCheck(BaseModel):
    company_id: str
    api_key: str


@activity.defn
async def check_key(check: KeyCheck) -> str:
    if check.company_id == "refused":
        raise ApplicationError(f"Maventa refused key {check.api_key}", non_retryable=True)
    return f"accepted {check.api_key}"


@workflow.defn
class KeyCheckWorkflow:
    @workflow.run
    async def run(self, check: KeyCheck) -> str:
        return await workflow.execute_activity(check_key, check, start_to_close_timeout=timedelta(seconds=10))


@pytest.fixture
def encrypted_client(temporal_env: WorkflowEnvironment) -> Client:
    settings = Settings(secrets_key=SecretStr(new_key()))
    config = temporal_env.client.config()
    config["data_converter"] = data_converter(settings)
    return Client(**config)


async def _raw_history(client: Client, workflow_id: str) -> bytes:
    response = await client.workflow_service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    return response.history.SerializeToString()


async def test_history_holds_ciphertext_while_the_caller_gets_plain_values(
    encrypted_client: Client, task_queue: str
) -> None:
    async with Worker(
        encrypted_client,
        task_queue=task_queue,
        workflows=[KeyCheckWorkflow],
        activities=[check_key],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        accepted_id, refused_id = f"key-check-{uuid.uuid4()}", f"key-check-{uuid.uuid4()}"
        result = await encrypted_client.execute_workflow(
            KeyCheckWorkflow.run,
            KeyCheck(company_id="1001", api_key=SECRET_LOOKING),
            id=accepted_id,
            task_queue=task_queue,
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await encrypted_client.execute_workflow(
                KeyCheckWorkflow.run,
                KeyCheck(company_id="refused", api_key=SECRET_LOOKING),
                id=refused_id,
                task_queue=task_queue,
            )

    assert result == f"accepted {SECRET_LOOKING}"
    cause: BaseException | None = failed.value.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.__cause__
    assert cause is not None and str(cause) == f"Maventa refused key {SECRET_LOOKING}"

    for workflow_id in (accepted_id, refused_id):
        history = await _raw_history(encrypted_client, workflow_id)
        assert b"binary/encrypted" in history
        assert SECRET_LOOKING.encode() not in history
        assert b"Maventa refused" not in history
