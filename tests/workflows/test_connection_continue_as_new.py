"""Continue-as-new on the dev server (suggested after 60 events): nothing lost or handled twice."""

from temporalio.client import Client

from tests.workflows.connection_fakes import FakeServices, company_report, connection_running, view_when
from workflows.connection import ConnectionWorkflow
from workflows.connection_models import ActionRequest, Outcome
from workflows.search_attributes import MAVENTA_STATE

MESSAGES = 30


async def test_reports_and_actions_survive_continue_as_new_exactly_once(temporal_client: Client) -> None:
    fakes = FakeServices()
    async with connection_running(temporal_client, fakes, company_report(sales=True)) as handle:
        first_run = (await handle.describe()).run_id
        await view_when(handle, lambda v: v.state == "ACTIVE")
        answers = []
        for n in range(MESSAGES):
            await handle.signal(
                ConnectionWorkflow.report_company, company_report(sales=True, name=f"Testi {n} Oy")
            )
            answers.append(
                await handle.execute_update(
                    ConnectionWorkflow.create_connection,
                    ActionRequest(requested_by=f"user {n}"),
                    id=f"ask-{n}",
                )
            )
        repeated = await handle.execute_update(
            ConnectionWorkflow.create_connection, ActionRequest(requested_by="user 0"), id="ask-0"
        )
        view = await view_when(handle, lambda v: v.name == f"Testi {MESSAGES - 1} Oy")
        latest = await handle.describe()

    assert latest.run_id != first_run, "the history should have been continued as new"
    assert latest.typed_search_attributes.get(MAVENTA_STATE) == "ACTIVE"
    assert all(answer.outcome == Outcome.DONE for answer in answers)
    assert repeated == answers[0]
    assert [record.update_id for record in view.recent_actions] == [f"ask-{n}" for n in range(MESSAGES)]
    assert [record.requested_by for record in view.recent_actions] == [f"user {n}" for n in range(MESSAGES)]
    assert [p.name for p in fakes.projections[2:]] == [f"Testi {n} Oy" for n in range(MESSAGES)]
    assert fakes.calls["create_maventa_company"] == 1
