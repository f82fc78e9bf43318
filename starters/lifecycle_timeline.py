"""A company's lifecycle as support reads it: the connection workflow's history, decoded here with the
service's own data converter, told as a timeline of what happened and who asked.

Only named fields are read from the decoded payloads (names, states, who asked, answers, failure messages);
no payload is ever shown whole, so nothing a payload might carry besides them can reach a page. Users' API
keys are never in payloads in the first place (workflows/connection_models.py); the masked form is not read.
Reading a history costs no Temporal action.
"""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

from workflows.connection import workflow_id
from workflows.search_attributes import BANK_NETWORK_DEADLINE, MAVENTA_STATE, NEEDS_SUPPORT

ACTION_NAMES = {
    "create_connection": "Create Maventa connection",
    "check_bank_network_now": "Check the bank network now",
    "retry": "Retry the failed step",
    "set_import_mode": "Choose the import",
    "link_account": "Link the existing account by its keys",
    "decline": "Decline linking",
    "send_only": "Make send-only",
    "release": "Release the account",
    "rejoin": "Rejoin: link the released account again",
    "retry_quarantined_invoice": "Retry a quarantined invoice",
}
"""The connection workflow's updates as an agent knows them."""


class EntryKind(StrEnum):
    STARTED = "started"
    REPORT = "report"
    STATE = "state"
    ACTION = "action"
    FAILURE = "failure"
    ENDED = "ended"


class TimelineEntry(BaseModel):
    at: datetime
    kind: EntryKind
    what: str
    detail: str | None = None
    who: str | None = None
    times: int = 1
    """How many identical entries in a row this one stands for (Netvisor sends the same report often)."""


class Timeline(BaseModel):
    workflow_id: str
    entries: list[TimelineEntry]
    """Oldest first."""
    continued_from: str | None
    """The run before the earliest one told, when there is one."""


RUNS_TOLD = 5


class UnknownWorkflow(LookupError):
    """The company has no connection workflow."""


async def lifecycle_timeline(client: Client, company_id: str, runs: int = RUNS_TOLD) -> Timeline:
    """The company's connection workflow told as a timeline: the latest run and up to `runs` - 1 runs before
    it (each continue-as-new starts a run; a long life's earliest runs are left to the Temporal UI)."""
    entries: list[TimelineEntry] = []
    run_id: str | None = None
    for told in range(runs):
        handle = client.get_workflow_handle(workflow_id(company_id), run_id=run_id)
        try:
            history = await handle.fetch_history()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND and told == 0:
                raise UnknownWorkflow(company_id) from None
            if error.status == RPCStatusCode.NOT_FOUND:
                break  # the earlier run is past the namespace's retention
            raise
        run_entries, run_id = await timeline_of(history.events, client.data_converter)
        entries = run_entries + entries
        if run_id is None:
            break
    return Timeline(workflow_id=workflow_id(company_id), entries=entries, continued_from=run_id)


async def timeline_of(
    events: Iterable[HistoryEvent], converter: DataConverter
) -> tuple[list[TimelineEntry], str | None]:
    """The entries of one run's events, oldest first, and the run it continues (if it does)."""
    reader = _Reader(converter)
    for event in events:
        await reader.read(event)
    return collapsed(reader.entries), reader.continued_from


def collapsed(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Identical reports in a row become one entry that says how many there were."""
    kept: list[TimelineEntry] = []
    for entry in entries:
        last = kept[-1] if kept else None
        if (
            last is not None
            and entry.kind == last.kind == EntryKind.REPORT
            and (entry.what, entry.detail) == (last.what, last.detail)
        ):
            kept[-1] = last.model_copy(update={"times": last.times + 1, "at": entry.at})
            continue
        kept.append(entry)
    return kept


def _field(value: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def _modules(report: Any) -> str:
    modules = _field(report, "modules") or {}
    opened = [name for name in ("sales", "purchases") if modules.get(name)]
    return "modules: " + (", ".join(opened) if opened else "none")


def _company(report: Any) -> str:
    return f"{_field(report, 'name')} ({_field(report, 'business_id')})"


class _Reader:
    def __init__(self, converter: DataConverter) -> None:
        self._converter = converter
        self.entries: list[TimelineEntry] = []
        self.continued_from: str | None = None
        self._activities: dict[int, str] = {}
        self._updates: dict[str, tuple[str, str | None]] = {}

    async def _first(self, payloads: Payloads) -> Any:
        values = await self._decoded(payloads.payloads)
        return values[0] if values else None

    async def _decoded(self, payloads: Sequence[Payload]) -> list[Any]:
        return await self._converter.decode(payloads) if payloads else []

    def _add(self, event: HistoryEvent, kind: EntryKind, what: str, **fields: Any) -> None:
        self.entries.append(TimelineEntry(at=event.event_time.ToDatetime(), kind=kind, what=what, **fields))

    async def read(self, event: HistoryEvent) -> None:
        kind = event.WhichOneof("attributes")
        reader = getattr(self, f"_{kind}", None)
        if reader is not None:
            await reader(event)

    async def _workflow_execution_started_event_attributes(self, event: HistoryEvent) -> None:
        attributes = event.workflow_execution_started_event_attributes
        self.continued_from = attributes.continued_execution_run_id or None
        if self.continued_from:
            return  # the earlier run told how it got here; its search attributes carry over unchanged
        given = _field(await self._first(attributes.input), "company")
        self._add(
            event, EntryKind.STARTED, "Lifecycle started", detail=f"{_company(given)}, {_modules(given)}"
        )
        await self._search_attributes(event, attributes.search_attributes.indexed_fields)

    async def _workflow_execution_signaled_event_attributes(self, event: HistoryEvent) -> None:
        attributes = event.workflow_execution_signaled_event_attributes
        if attributes.signal_name != "report_company":
            self._add(event, EntryKind.REPORT, f"Signal {attributes.signal_name}")
            return
        report = await self._first(attributes.input)
        self._add(
            event,
            EntryKind.REPORT,
            "Netvisor reported the company",
            detail=f"{_company(report)}, {_modules(report)}",
        )

    async def _upsert_workflow_search_attributes_event_attributes(self, event: HistoryEvent) -> None:
        attributes = event.upsert_workflow_search_attributes_event_attributes
        await self._search_attributes(event, attributes.search_attributes.indexed_fields)

    async def _search_attributes(self, event: HistoryEvent, fields: Mapping[str, Payload]) -> None:
        """The state, needing support and the bank-network deadline, as the workflow published them."""
        if MAVENTA_STATE.name in fields:
            [state] = await self._decoded([fields[MAVENTA_STATE.name]])
            self._add(event, EntryKind.STATE, f"State {state}")
        if NEEDS_SUPPORT.name in fields:
            [needs] = await self._decoded([fields[NEEDS_SUPPORT.name]])
            if needs:
                self._add(event, EntryKind.STATE, "Needs support")
        if BANK_NETWORK_DEADLINE.name in fields:
            [deadline] = await self._decoded([fields[BANK_NETWORK_DEADLINE.name]])
            if deadline:
                self._add(event, EntryKind.STATE, "Bank network deadline set", detail=str(deadline))

    async def _workflow_execution_update_accepted_event_attributes(self, event: HistoryEvent) -> None:
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request
        asked = await self._first(request.input.args)
        who = _field(asked, "requested_by")
        self._updates[request.meta.update_id] = (request.input.name, who if isinstance(who, str) else None)

    async def _workflow_execution_update_completed_event_attributes(self, event: HistoryEvent) -> None:
        attributes = event.workflow_execution_update_completed_event_attributes
        name, who = self._updates.pop(attributes.meta.update_id, ("action", None))
        what = ACTION_NAMES.get(name, name)
        if attributes.outcome.HasField("failure"):
            error = await self._converter.decode_failure(attributes.outcome.failure)
            self._add(event, EntryKind.ACTION, what, who=who, detail=f"Refused: {error}")
            return
        answer = await self._first(attributes.outcome.success)
        detail = f"{_field(answer, 'outcome')}: {_field(answer, 'message')}"
        self._add(event, EntryKind.ACTION, what, who=who, detail=detail)

    async def _activity_task_scheduled_event_attributes(self, event: HistoryEvent) -> None:
        activity = event.activity_task_scheduled_event_attributes.activity_type.name
        self._activities[event.event_id] = activity

    async def _activity_task_failed_event_attributes(self, event: HistoryEvent) -> None:
        attributes = event.activity_task_failed_event_attributes
        activity = self._activities.get(attributes.scheduled_event_id, "a step")
        error = await self._converter.decode_failure(attributes.failure)
        self._add(event, EntryKind.FAILURE, f"{activity} failed", detail=str(error))

    async def _workflow_execution_completed_event_attributes(self, event: HistoryEvent) -> None:
        summary = await self._first(event.workflow_execution_completed_event_attributes.result)
        self._add(
            event,
            EntryKind.ENDED,
            "Released",
            who=_field(summary, "requested_by"),
            detail=_field(summary, "message"),
        )

    async def _workflow_execution_terminated_event_attributes(self, event: HistoryEvent) -> None:
        reason = event.workflow_execution_terminated_event_attributes.reason
        self._add(event, EntryKind.ENDED, "Terminated by an operator", detail=reason or None)

    async def _workflow_execution_failed_event_attributes(self, event: HistoryEvent) -> None:
        error = await self._converter.decode_failure(event.workflow_execution_failed_event_attributes.failure)
        self._add(event, EntryKind.ENDED, "The workflow failed", detail=str(error))
