"""The action counter on histories built by hand: each of Temporal Cloud's rules, and the mark."""

from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.common.v1 import Payload, SearchAttributes, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import (
    ActivityTaskCompletedEventAttributes,
    ActivityTaskScheduledEventAttributes,
    ActivityTaskStartedEventAttributes,
    HistoryEvent,
    MarkerRecordedEventAttributes,
    WorkflowExecutionStartedEventAttributes,
)

from bench.actions import count_actions, estimated_heartbeats, total

T0 = datetime(2026, 1, 1, tzinfo=UTC)
E = EventType


class History:
    """Events numbered from 1, one second apart unless told otherwise."""

    def __init__(self) -> None:
        self.events: list[HistoryEvent] = []
        self.clock = T0

    def add(self, kind: Any, after_s: float = 1.0, **attributes: Any) -> int:
        self.clock += timedelta(seconds=after_s)
        stamp = Timestamp()
        stamp.FromDatetime(self.clock)
        event = HistoryEvent(event_id=len(self.events) + 1, event_type=kind, event_time=stamp, **attributes)
        self.events.append(event)
        return event.event_id

    def task(self) -> int:
        self.add(E.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
        self.add(E.EVENT_TYPE_WORKFLOW_TASK_STARTED)
        return self.add(E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)

    def activity(self, *, attempt: int = 1, seconds: float = 1.0, heartbeat_s: int = 0) -> None:
        scheduled = self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            activity_task_scheduled_event_attributes=ActivityTaskScheduledEventAttributes(
                heartbeat_timeout=Duration(seconds=heartbeat_s)
            ),
        )
        started = self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_STARTED,
            activity_task_started_event_attributes=ActivityTaskStartedEventAttributes(
                scheduled_event_id=scheduled, attempt=attempt
            ),
        )
        self.add(
            E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
            after_s=seconds,
            activity_task_completed_event_attributes=ActivityTaskCompletedEventAttributes(
                scheduled_event_id=scheduled, started_event_id=started
            ),
        )


def started(**attributes: Any) -> dict[str, Any]:
    return {
        "workflow_execution_started_event_attributes": WorkflowExecutionStartedEventAttributes(**attributes)
    }


def test_start_timer_signal_update_upsert_and_activity_attempts() -> None:
    history = History()
    history.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, **started())
    history.task()
    history.activity(attempt=3)
    history.add(E.EVENT_TYPE_TIMER_STARTED)
    history.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    history.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
    history.add(E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
    history.task()

    counts = count_actions(history.events)

    assert counts == {
        "workflow start": 1,
        "activity": 1,
        "activity retry": 2,
        "timer": 1,
        "signal": 1,
        "update": 1,
        "upsert search attributes": 1,
    }


def test_signal_with_start_is_one_action_and_a_later_signal_another() -> None:
    history = History()
    history.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, **started())
    history.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
    history.task()
    history.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)

    assert total(count_actions(history.events)) == 2


def test_continue_as_new_schedule_and_child_runs() -> None:
    scheduled_by = SearchAttributes(indexed_fields={"TemporalScheduledById": Payload(data=b'"billing"')})
    cases = {
        "continue-as-new": started(continued_execution_run_id="previous-run"),
        "schedule start": started(search_attributes=scheduled_by),
    }
    for kind, attributes in cases.items():
        history = History()
        history.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, **attributes)
        assert count_actions(history.events) == {kind: 3 if kind == "schedule start" else 1}

    child = History()
    child.add(
        E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        **started(parent_workflow_execution=WorkflowExecution(workflow_id="parent")),
    )
    parent = History()
    parent.add(E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
    assert total(count_actions(child.events)) + total(count_actions(parent.events)) == 2


def test_local_activities_count_once_per_workflow_task() -> None:
    history = History()
    marker: dict[str, Any] = {
        "marker_recorded_event_attributes": MarkerRecordedEventAttributes(marker_name="core_local_activity")
    }
    history.task()
    history.add(E.EVENT_TYPE_MARKER_RECORDED, **marker)
    history.add(E.EVENT_TYPE_MARKER_RECORDED, **marker)
    history.task()
    history.add(E.EVENT_TYPE_MARKER_RECORDED, **marker)

    assert count_actions(history.events) == {"local activities (per task)": 2}


def test_heartbeats_are_estimated_from_the_attempt_duration() -> None:
    assert estimated_heartbeats(10, 60) == 0
    assert estimated_heartbeats(20, 60) == 1
    assert estimated_heartbeats(20 + 48, 60) == 2
    history = History()
    history.activity(seconds=20 + 48, heartbeat_s=60)

    assert count_actions(history.events) == {"activity": 1, "heartbeat (estimated)": 2}


def test_only_events_after_the_mark_count() -> None:
    history = History()
    history.add(E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, **started())
    history.add(E.EVENT_TYPE_TIMER_STARTED)
    mark = history.task()
    history.add(E.EVENT_TYPE_TIMER_STARTED)

    assert count_actions(history.events, after_event_id=mark) == {"timer": 1}
