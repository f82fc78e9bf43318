"""The baseline design the issue compares against: one workflow per company polling Maventa every hour.

It lives only here. Each poll is an activity and each wait a timer, so an idle company costs two actions an
hour whether or not anything arrived; that is the cost the webhook-woken, partner-wide sweep avoids.
"""

from datetime import timedelta

from temporalio import activity, workflow

POLL_EVERY = timedelta(hours=1)


@activity.defn(name="bench_poll_received_invoices")
async def poll_received_invoices(company_id: str) -> int:
    """Stand-in for listing the company's new received invoices at Maventa: an idle company has none."""
    return 0


@workflow.defn(name="BenchNaivePolling")
class NaivePollingWorkflow:
    @workflow.run
    async def run(self, company_id: str) -> None:
        while True:
            await workflow.execute_activity(
                poll_received_invoices, company_id, start_to_close_timeout=timedelta(minutes=1)
            )
            await workflow.sleep(POLL_EVERY)
