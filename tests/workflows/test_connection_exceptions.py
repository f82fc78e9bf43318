"""R12-R15 and the import mode on the time-skipping server, with the activities played by fakes.

Every exception action is an update with a validator: each state either allows it or refuses it with a
reason, and a refused one leaves the state, the history and the calls to Maventa as they were.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.banking_days import HELSINKI, helsinki_date
from tests.clock import server_time
from tests.workflows.connection_fakes import FakeServices, company_report, connection_running, view_when
from workflows.connection import ConnectionWorkflow
from workflows.connection_models import (
    AccountKeys,
    ActionRequest,
    ImportModeRequest,
    LinkRequest,
    Outcome,
    ReleaseSummary,
    SendOnlyRequest,
)
from workflows.connection_policy import ImportMode
from workflows.search_attributes import MAVENTA_STATE, NEEDS_SUPPORT

Handle = WorkflowHandle[ConnectionWorkflow, ReleaseSummary]

AGENT = "agent anna"
KEYS = AccountKeys(
    company_uuid="existing-uuid-1", credentials_ref="secret-linked-1", api_key_masked="****9xyz"
)
NEW_KEYS = AccountKeys(
    company_uuid="existing-uuid-1", credentials_ref="secret-linked-2", api_key_masked="****7abc"
)


def link(keys: AccountKeys = KEYS) -> LinkRequest:
    return LinkRequest(requested_by="netvisor user 7", keys=keys)


def send_only(keys: AccountKeys | None = None) -> SendOnlyRequest:
    return SendOnlyRequest(requested_by=AGENT, keys=keys)


def import_mode(mode: ImportMode, from_date: date | None = None) -> ImportModeRequest:
    return ImportModeRequest(requested_by="netvisor user 7", mode=mode, from_date=from_date)


AGENT_ASKS = ActionRequest(requested_by=AGENT)


async def refusal(handle: Handle, update: Any, arg: Any) -> str:
    """The reason the workflow refused the update (the test fails if it was accepted)."""
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(update, arg)
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "ActionRefused"
    return cause.message


WORKFLOW_TASK_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}


async def history_length(handle: Handle) -> int:
    return len((await handle.fetch_history()).events)


async def events_since(handle: Handle, start: int) -> set[EventType.ValueType]:
    """The kinds of event written after the first `start` ones."""
    return {event.event_type for event in (await handle.fetch_history()).events[start:]}


@asynccontextmanager
async def company_in(env: WorkflowEnvironment, state: str) -> AsyncIterator[tuple[Handle, FakeServices]]:
    """A connection workflow brought to `state` the way a real company gets there."""
    fakes = FakeServices()
    report = company_report(sales=True)
    if state == "NO_CONNECTION":
        report = company_report(sales=False)
    elif state in ("RECEIVING", "CONNECTED"):
        report = company_report(purchases=True)
        fakes.bank_confirmed = state == "CONNECTED"
    elif state == "PROVISIONING":
        fakes.maventa_down = True
    elif state in ("EXISTING_ACCOUNT", "LINKED", "SEND_ONLY", "NOT_LINKED"):
        fakes.business_id_taken = True
    async with connection_running(env.client, fakes, report) as handle:
        first = "EXISTING_ACCOUNT" if fakes.business_id_taken else state
        await view_when(
            handle,
            lambda v: (
                (v.state == first and fakes.calls["look_up_business_id"] > 0)
                or (first == "NO_CONNECTION" and v.state == first)
            ),
        )
        if state == "LINKED":
            await handle.execute_update(ConnectionWorkflow.link_account, link())
        elif state == "SEND_ONLY":
            await handle.execute_update(ConnectionWorkflow.send_only, send_only(KEYS))
        elif state == "NOT_LINKED":
            await handle.execute_update(ConnectionWorkflow.decline, AGENT_ASKS)
        await view_when(handle, lambda v: v.state == state)
        yield handle, fakes


ACTIONS: dict[str, tuple[Callable[..., Any], Any]] = {
    "link": (ConnectionWorkflow.link_account, link()),
    "decline": (ConnectionWorkflow.decline, AGENT_ASKS),
    "send_only without keys": (ConnectionWorkflow.send_only, send_only()),
    "send_only with keys": (ConnectionWorkflow.send_only, send_only(KEYS)),
    "import now": (ConnectionWorkflow.set_import_mode, import_mode(ImportMode.NOW)),
    "release": (ConnectionWorkflow.release, AGENT_ASKS),
}

REFUSED: dict[str, dict[str, str]] = {
    "NO_CONNECTION": {
        "decline": "already has a Maventa account used outside Netvisor",
        "send_only without keys": "Send-only is for a customer who keeps an existing Maventa account",
        "send_only with keys": "Send-only is for a customer who keeps an existing Maventa account",
        "import now": "no Maventa account yet",
    },
    "PROVISIONING": {
        "link": "creating a Maventa account for the company right now",
        "decline": "already has a Maventa account used outside Netvisor",
        "send_only with keys": "Send-only is for a customer who keeps an existing Maventa account",
        "import now": "no Maventa account yet",
        "release": "still being created",
    },
    "EXISTING_ACCOUNT": {
        "send_only without keys": "Send-only needs the account's keys",
        "import now": "link it with PUT /v1/companies/{company_id}/maventa/api-keys first",
    },
    "ACTIVE": {
        "link": "already has a Maventa account created through Netvisor (it is active)",
        "decline": "this company's connection is ACTIVE",
        "send_only with keys": "this company's account is active through Netvisor",
        "import now": "Receiving is not open",
    },
    "RECEIVING": {
        "link": "(it is receiving)",
        "decline": "this company's connection is RECEIVING",
        "send_only without keys": "Release it instead",
    },
    "CONNECTED": {
        "link": "(it is connected)",
        "decline": "this company's connection is CONNECTED",
        "send_only with keys": "Release it instead",
    },
    "LINKED": {"decline": "already linked to Netvisor; to give it back, release it"},
    "SEND_ONLY": {
        "decline": "already send only to Netvisor; to give it back, release it",
        "import now": "receives its invoices in another system (send-only)",
    },
    "NOT_LINKED": {
        "send_only without keys": "Send-only needs the account's keys",
        "import now": "declined to link its Maventa account",
    },
}


@pytest.mark.parametrize("state", list(REFUSED))
async def test_refused_actions_say_why_and_change_nothing(
    connection_env: WorkflowEnvironment, state: str
) -> None:
    async with company_in(connection_env, state) as (handle, fakes):
        before = await handle.query(ConnectionWorkflow.account)
        events_before = await history_length(handle)
        calls_before = fakes.calls.copy()
        reasons = {name: await refusal(handle, *ACTIONS[name]) for name in REFUSED[state]}
        after = await handle.query(ConnectionWorkflow.account)
        written = await events_since(handle, events_before)

    for name, expected in REFUSED[state].items():
        assert expected in reasons[name], f"{state} / {name}: {reasons[name]}"
    assert after.state == before.state and after.import_mode == before.import_mode
    assert after.recent_actions == before.recent_actions
    assert written <= WORKFLOW_TASK_EVENTS, "a refused update writes no event of its own"
    assert fakes.calls == calls_before


@pytest.mark.calendar
async def test_an_existing_account_is_linked_by_keys_and_import_starts_when_chosen(
    connection_env: WorkflowEnvironment,
) -> None:
    async with company_in(connection_env, "EXISTING_ACCOUNT") as (handle, fakes):
        waiting = await handle.query(ConnectionWorkflow.account)
        linked = await handle.execute_update(ConnectionWorkflow.link_account, link(), id="link-1")
        repeated = await handle.execute_update(ConnectionWorkflow.link_account, link(), id="link-1")
        view = await handle.query(ConnectionWorkflow.account)
        attributes = (await handle.describe()).typed_search_attributes

        future = helsinki_date(await server_time(connection_env)) + timedelta(days=2)
        too_late = await refusal(
            handle, ConnectionWorkflow.set_import_mode, import_mode(ImportMode.FROM_DATE, future)
        )
        no_date = await refusal(handle, ConnectionWorkflow.set_import_mode, import_mode(ImportMode.FROM_DATE))
        still_off = await handle.query(ConnectionWorkflow.account)

        now = await handle.execute_update(ConnectionWorkflow.set_import_mode, import_mode(ImportMode.NOW))
        chosen_at = (await handle.query(ConnectionWorkflow.account)).import_from
        await connection_env.sleep(timedelta(hours=2))
        await handle.execute_update(ConnectionWorkflow.set_import_mode, import_mode(ImportMode.NOW))
        now_again = await handle.query(ConnectionWorkflow.account)
        from_date = await handle.execute_update(
            ConnectionWorkflow.set_import_mode, import_mode(ImportMode.FROM_DATE, date(2024, 3, 1))
        )
        dated = await handle.query(ConnectionWorkflow.account)

    assert waiting.state == "EXISTING_ACCOUNT" and "link it with its API keys" in (waiting.next_step or "")
    assert linked.outcome == Outcome.DONE and linked.state == "LINKED"
    assert "PUT /v1/companies/" in linked.message and "/maventa/import" in linked.message
    assert "manual transfer" in linked.message
    assert repeated == linked and fakes.calls["link_existing_account"] == 1
    assert [(request.account.credentials_ref, request.replaces_ref) for request in fakes.linked] == [
        ("secret-linked-1", None)
    ]
    assert view.state == "LINKED" and view.sending_allocated and view.import_mode == "off"
    assert view.maventa_company_id == "existing-uuid-1" and view.api_key_masked == "****9xyz"
    assert "Start importing purchase invoices" in (view.next_step or "")
    assert view.recent_actions[-1].requested_by == "netvisor user 7"
    assert attributes.get(MAVENTA_STATE) == "LINKED"
    assert fakes.projections[-1].credentials_ref == "secret-linked-1"

    assert "is in the future" in too_late and "needs from_date" in no_date
    assert still_off.import_mode == "off"
    assert now.outcome == Outcome.DONE and "imported automatically" in now.message
    assert chosen_at is not None and now_again.import_from == chosen_at, "repeating 'now' keeps the moment"
    assert from_date.outcome == Outcome.DONE and "on or after 2024-03-01" in from_date.message
    assert dated.import_mode == "from_date"
    assert dated.import_from == datetime(2024, 3, 1, tzinfo=HELSINKI)
    assert dated.next_step is None
    assert fakes.projections[-1].import_mode == "from_date"


async def test_a_company_without_an_account_can_link_and_later_link_new_keys(
    connection_env: WorkflowEnvironment,
) -> None:
    async with company_in(connection_env, "NO_CONNECTION") as (handle, fakes):
        first = await handle.execute_update(ConnectionWorkflow.link_account, link())
        await handle.execute_update(ConnectionWorkflow.set_import_mode, import_mode(ImportMode.NOW))
        second = await handle.execute_update(ConnectionWorkflow.link_account, link(NEW_KEYS))
        view = await handle.query(ConnectionWorkflow.account)

    assert first.state == second.state == "LINKED"
    assert second.message == "The new keys are linked; import continues as chosen."
    assert fakes.linked[-1].replaces_ref == "secret-linked-1", "the old key is deleted once the new one works"
    assert view.api_key_masked == "****7abc" and view.import_mode == "now"
    assert fakes.calls["look_up_business_id"] == 0, "linking did not start provisioning"


async def test_a_link_maventa_refuses_answers_failed_and_changes_nothing(
    connection_env: WorkflowEnvironment,
) -> None:
    async with company_in(connection_env, "EXISTING_ACCOUNT") as (handle, fakes):
        fakes.link_refusal = "Maventa refused linking the account to Netvisor's vendor key: 403 forbidden"
        answer = await handle.execute_update(ConnectionWorkflow.link_account, link())
        view = await handle.query(ConnectionWorkflow.account)

    assert answer.outcome == Outcome.FAILED and answer.state == "EXISTING_ACCOUNT"
    assert "403 forbidden" in answer.message and "Nothing changed" in answer.message
    assert (
        view.state == "EXISTING_ACCOUNT" and view.maventa_company_id is None and view.api_key_masked is None
    )


async def test_decline_allocates_nothing_and_linking_later_still_works(
    connection_env: WorkflowEnvironment,
) -> None:
    async with company_in(connection_env, "EXISTING_ACCOUNT") as (handle, fakes):
        declined = await handle.execute_update(ConnectionWorkflow.decline, AGENT_ASKS)
        again = await handle.execute_update(ConnectionWorkflow.decline, AGENT_ASKS)
        view = await handle.query(ConnectionWorkflow.account)
        calls_after_decline = sum(fakes.calls.values()) - fakes.calls["record_company"]
        relinked = await handle.execute_update(ConnectionWorkflow.link_account, link())

    assert declined.outcome == again.outcome == Outcome.DONE and declined.state == "NOT_LINKED"
    assert "stays as it is" in declined.message
    assert not view.sending_allocated and view.import_mode == "off" and view.maventa_company_id is None
    assert calls_after_decline == fakes.calls["look_up_business_id"], "nothing at Maventa was touched"
    assert [a.requested_by for a in view.recent_actions] == [AGENT, AGENT]
    assert relinked.state == "LINKED"


async def test_send_only_takes_keys_or_uses_the_linked_ones_and_imports_nothing(
    connection_env: WorkflowEnvironment,
) -> None:
    async with company_in(connection_env, "LINKED") as (handle, fakes):
        await handle.execute_update(ConnectionWorkflow.set_import_mode, import_mode(ImportMode.NOW))
        answer = await handle.execute_update(ConnectionWorkflow.send_only, send_only())
        view = await handle.query(ConnectionWorkflow.account)
    async with company_in(connection_env, "NOT_LINKED") as (other, other_fakes):
        with_keys = await other.execute_update(ConnectionWorkflow.send_only, send_only(KEYS))

    assert answer.outcome == Outcome.DONE and answer.state == "SEND_ONLY"
    assert view.sending_allocated and view.import_mode == "off" and view.import_from is None
    assert fakes.projections[-1].state == "SEND_ONLY" and fakes.projections[-1].import_mode == "off"
    assert fakes.calls["link_existing_account"] == 1, "the linked keys were used, not asked for again"
    assert with_keys.state == "SEND_ONLY" and other_fakes.calls["link_existing_account"] == 1


async def test_release_stops_import_unlinks_forgets_the_keys_and_ends_with_a_summary(
    connection_env: WorkflowEnvironment,
) -> None:
    async with company_in(connection_env, "CONNECTED") as (handle, fakes):
        connected = await handle.query(ConnectionWorkflow.account)
        answer = await handle.execute_update(ConnectionWorkflow.release, AGENT_ASKS, id="release-1")
        summary = await handle.result()
        description = await handle.describe()
        view = await handle.query(ConnectionWorkflow.account)

    assert answer.outcome == Outcome.DONE and answer.state == "RELEASED"
    assert "Maventa account is the customer's" in answer.message
    assert summary.state_before == "CONNECTED" and summary.requested_by == AGENT
    assert summary.vendor_unlinked and summary.secrets_deleted == 1
    assert summary.maventa_company_id == view.maventa_company_id and summary.maventa_company_id is not None
    assert "stay in the customer's Maventa account" in summary.message
    assert fakes.calls["unlink_vendor"] == 1 and fakes.forgotten == [summary.company_id]
    assert connected.networks.peppol == "active" and fakes.calls["register_peppol"] == 1
    assert fakes.calls["unregister_peppol"] == 1 and view.networks.peppol is None
    releasing, released = fakes.projections[-2:]
    assert (releasing.state, releasing.import_mode) == ("CONNECTED", "off"), "import stops before the unlink"
    assert (released.state, released.credentials_ref) == ("RELEASED", None)
    assert description.typed_search_attributes.get(MAVENTA_STATE) == "RELEASED"
    assert view.api_key_masked is None and not view.sending_allocated


async def test_a_failed_release_needs_support_and_a_retry_finishes_it(
    connection_env: WorkflowEnvironment,
) -> None:
    async with company_in(connection_env, "LINKED") as (handle, fakes):
        fakes.unlink_refusal = "Maventa refused removing Netvisor's vendor link: 401 invalid_client"
        failed = await handle.execute_update(ConnectionWorkflow.release, AGENT_ASKS)
        stuck = await handle.query(ConnectionWorkflow.account)
        attributes = (await handle.describe()).typed_search_attributes
        import_refused = await refusal(
            handle, ConnectionWorkflow.set_import_mode, import_mode(ImportMode.NOW)
        )
        fakes.unlink_refusal = None
        retried = await handle.execute_update(ConnectionWorkflow.retry, AGENT_ASKS)
        summary = await handle.result()

    assert failed.outcome == Outcome.FAILED and "401 invalid_client" in failed.message
    assert stuck.state == "NEEDS_SUPPORT" and stuck.lifecycle_state == "LINKED" and stuck.import_mode == "off"
    assert attributes.get(NEEDS_SUPPORT) is True
    assert "being released" in import_refused
    assert retried.outcome == Outcome.DONE and retried.state == "RELEASED"
    assert summary.state_before == "LINKED" and summary.vendor_unlinked
    assert [a.action for a in stuck.recent_actions][-1] == "release"
    assert fakes.calls["unregister_peppol"] == 0, "the customer's own account keeps its own registrations"


async def test_releasing_a_company_that_never_had_an_account_touches_nothing_at_maventa(
    connection_env: WorkflowEnvironment,
) -> None:
    async with company_in(connection_env, "EXISTING_ACCOUNT") as (handle, fakes):
        answer = await handle.execute_update(ConnectionWorkflow.release, AGENT_ASKS)
        summary = await handle.result()

    assert answer.state == "RELEASED" and not summary.vendor_unlinked
    assert "no vendor link" in summary.message
    assert fakes.calls["unlink_vendor"] == 0
