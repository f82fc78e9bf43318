"""Temporal Cloud actions, counted from workflow histories by Cloud's rules (docs/facts/temporal.md §D2).

The history is the only record every deployment keeps, so cost is read from it rather than from our own
bookkeeping. What a history does not show is said where it matters: queries and rejected updates leave no
event (the benches issue none inside a measured window), and heartbeats are estimated from each attempt's
duration because the server keeps only the last one.
"""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

CHILD_START_ACTIONS = 2
SCHEDULE_START_ACTIONS = 3
SCHEDULED_BY_ATTRIBUTE = "TemporalScheduledById"
LOCAL_ACTIVITY_MARKER = "core_local_activity"
HEARTBEAT_THROTTLE = 0.8
"""The SDK sends at most one heartbeat per 0.8 x heartbeat timeout; the others stay in the worker."""
FIRST_BEAT_FRACTION = 1 / 3
"""The import activity beats every third of its heartbeat timeout (activities/inbound_import.py)."""

ONE_ACTION_EACH = {
    EventType.EVENT_TYPE_TIMER_STARTED: "timer",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signal",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "update",
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "upsert search attributes",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED: "workflow options update",
}
ACTIVITY_CLOSED = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: "activity_task_completed_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: "activity_task_failed_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: "activity_task_timed_out_event_attributes",
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: "activity_task_canceled_event_attributes",
}


@dataclass(frozen=True)
class _Attempt:
    started_at: float
    heartbeat_timeout_s: float


def estimated_heartbeats(duration_s: float, heartbeat_timeout_s: float) -> int:
    """Heartbeats of one attempt that reach the server: none before the first beat, then one per throttle."""
    if heartbeat_timeout_s <= 0:
        return 0
    first = heartbeat_timeout_s * FIRST_BEAT_FRACTION
    if duration_s < first:
        return 0
    return 1 + math.floor((duration_s - first) / (heartbeat_timeout_s * HEARTBEAT_THROTTLE))


def count_actions(events: Sequence[HistoryEvent], *, after_event_id: int = 0) -> Counter[str]:
    """Actions by kind in one run's history, for the events after `after_event_id`.

    An activity costs one action per attempt: the server writes one started event, for the last attempt, with
    its attempt number. Child workflows are charged to the parent (two actions), a signal-with-start is one
    action in all, and a run started by a Schedule costs three.
    """
    counts: Counter[str] = Counter()
    scheduled_heartbeat: dict[int, float] = {}
    attempts: dict[int, _Attempt] = {}
    local_activity_tasks: set[int] = set()
    last_task_completed = 0
    previous: HistoryEvent | None = None
    for event in events:
        kind = event.event_type
        counted = event.event_id > after_event_id
        if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            last_task_completed = event.event_id
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            timeout = event.activity_task_scheduled_event_attributes.heartbeat_timeout
            scheduled_heartbeat[event.event_id] = timeout.ToTimedelta().total_seconds()
            if counted:
                counts["activity"] += 1
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started = event.activity_task_started_event_attributes
            attempts[event.event_id] = _Attempt(
                started_at=event.event_time.ToDatetime().timestamp(),
                heartbeat_timeout_s=scheduled_heartbeat.get(started.scheduled_event_id, 0.0),
            )
            if counted and started.attempt > 1:
                counts["activity retry"] += started.attempt - 1
        elif kind in ACTIVITY_CLOSED:
            closed = getattr(event, ACTIVITY_CLOSED[kind])
            attempt = attempts.get(closed.started_event_id)
            if counted and attempt is not None:
                duration = event.event_time.ToDatetime().timestamp() - attempt.started_at
                beats = estimated_heartbeats(duration, attempt.heartbeat_timeout_s)
                if beats:
                    counts["heartbeat (estimated)"] += beats
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            started_run = event.workflow_execution_started_event_attributes
            if counted and not started_run.HasField("parent_workflow_execution"):
                fields = started_run.search_attributes.indexed_fields
                if SCHEDULED_BY_ATTRIBUTE in fields:
                    counts["schedule start"] += SCHEDULE_START_ACTIONS
                elif started_run.continued_execution_run_id:
                    counts["continue-as-new"] += 1
                else:
                    counts["workflow start"] += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            with_start = (
                previous is not None
                and previous.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
            )
            if counted and not with_start:
                counts["signal"] += 1
        elif kind == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
            if counted:
                counts["child workflow start"] += CHILD_START_ACTIONS
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes.marker_name
            if (
                counted
                and marker == LOCAL_ACTIVITY_MARKER
                and last_task_completed not in local_activity_tasks
            ):
                local_activity_tasks.add(last_task_completed)
                counts["local activities (per task)"] += 1
        elif kind in ONE_ACTION_EACH and counted:
            counts[ONE_ACTION_EACH[kind]] += 1
        previous = event
    return counts


def total(counts: Counter[str]) -> int:
    return sum(counts.values())
