"""A workflow that has the worker process update a company's invoicing addresses in Netvisor (a real activity,
one Netvisor call) and answers on which attempt it finished; in its own module so the sandbox imports nothing
else."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.activity_timeouts import HEARTBEAT
    from workflows.connection_models import InvoicingAddresses, InvoicingAddressesSet


@workflow.defn
class UpdateAddresses:
    @workflow.run
    async def run(self, company: InvoicingAddresses, task_queue: str) -> InvoicingAddressesSet:
        return await workflow.execute_activity(
            "update_invoicing_addresses",
            company,
            task_queue=task_queue,
            result_type=InvoicingAddressesSet,
            start_to_close_timeout=timedelta(minutes=2),
            heartbeat_timeout=HEARTBEAT,
            # Netvisor takes one message at a time: a retry may meet the stopped attempt's request there.
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_attempts=6),
        )
