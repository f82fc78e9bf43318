"""A workflow whose outcome the worker test knows; in its own module so the sandbox imports nothing else."""

from datetime import timedelta

from temporalio import workflow


@workflow.defn
class GreetCompany:
    @workflow.run
    async def run(self, company_id: str) -> str:
        await workflow.sleep(timedelta(milliseconds=10))
        return f"connected {company_id}"
