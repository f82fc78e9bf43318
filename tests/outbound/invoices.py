"""Sales invoices as Netvisor would submit them, and counting a history's Temporal actions."""

import base64
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from bench.outbound import RECIPIENT, sales_invoice

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def json_request(invoice_key: str, seller_business_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "invoice_key": invoice_key,
        "recipient": dict(RECIPIENT),
        "invoice": sales_invoice(seller_business_id, number=invoice_key[-20:]),
        **extra,
    }


ACTIONS_PER_EVENT = {
    "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED": 1,
    "EVENT_TYPE_TIMER_STARTED": 1,
    "EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED": 1,
    "EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES": 1,
    "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED": 1,
    "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW": 1,
    "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED": 2,
    "EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED": 1,
    "EVENT_TYPE_MARKER_RECORDED": 1,
}
"""Temporal Cloud's billable actions as they show in a history (docs/facts/temporal.md §D2). An activity
counts once per attempt, read from its started event; queries never reach the history."""


async def billable_actions(handle: WorkflowHandle[Any, Any]) -> dict[str, int]:
    """Actions by kind in the workflow's history."""
    counts: dict[str, int] = {}
    history = await handle.fetch_history()
    for event in history.events:
        kind = event.WhichOneof("attributes") or ""
        name = EventType.Name(event.event_type)
        if name == "EVENT_TYPE_ACTIVITY_TASK_STARTED":
            counts["activity attempts"] = (
                counts.get("activity attempts", 0) + event.activity_task_started_event_attributes.attempt
            )
        elif name in ACTIONS_PER_EVENT:
            label = kind.removesuffix("_event_attributes").replace("_", " ")
            counts[label] = counts.get(label, 0) + ACTIONS_PER_EVENT[name]
    return counts
