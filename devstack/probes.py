"""How the supervisor tells that a child is ready: it answers HTTP or (the worker) polls its task queue."""

import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError


async def answers_http(url: str, *, want_status: int | None = None) -> bool:
    """True once url answers at all (any status below 500), or with want_status when one is given."""
    try:
        async with httpx.AsyncClient(timeout=2) as http:
            response = await http.get(url)
    except httpx.HTTPError:
        return False
    if want_status is not None:
        return response.status_code == want_status
    return response.status_code < 500


async def worker_is_polling(client: Client, task_queue: str, pid: int) -> bool:
    """True once the worker process with this pid polls the workflow task queue (identity is `pid@host`)."""
    try:
        description = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
    except RPCError:
        return False
    return any(poller.identity.startswith(f"{pid}@") for poller in description.pollers)
