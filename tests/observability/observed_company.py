"""A workflow and activity whose log lines the observability test reads; activities are called by name."""

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.connection_models import Projection
    from workflows.connection_policy import ImportMode

OBSERVE_ACTIVITY = "observe_company"
RECORD_COMPANY = "record_company"


class ObservedCompany(BaseModel):
    company_id: str
    business_id: str


@workflow.defn
class ObservedCompanyWorkflow:
    """Logs once itself, runs the test activity, and moves a provisioning company to ACTIVE in the store."""

    @workflow.run
    async def run(self, company: ObservedCompany) -> None:
        workflow.logger.info("observing the company")
        timeout = timedelta(seconds=10)
        await workflow.execute_activity(OBSERVE_ACTIVITY, company, start_to_close_timeout=timeout)
        active = Projection(
            company_id=company.company_id,
            business_id=company.business_id,
            name="Observed Oy",
            state="ACTIVE",
            needs_support=False,
            needs_support_reason=None,
            maventa_company_uuid=None,
            credentials_ref=None,
            import_mode=ImportMode.OFF,
            import_from=None,
        )
        await workflow.execute_activity(RECORD_COMPANY, active, start_to_close_timeout=timeout)
