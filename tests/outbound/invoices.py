"""Sales invoices as Netvisor would submit them, and counting a history's Temporal actions."""

import base64
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

RECIPIENT = {"einvoice_address": "003715728600", "operator": "003721291126"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def sales_invoice(seller_business_id: str, number: str = "2024-0042") -> dict[str, Any]:
    """A JSON invoice (domain.finvoice.SalesInvoice) with two VAT rates and Finnish letters."""
    return {
        "number": number,
        "invoice_date": "2024-05-02",
        "due_date": "2024-05-16",
        "seller": {
            "name": "Myyjä Oy",
            "business_id": seller_business_id,
            "address": {"street": "Kauppakatu 1", "post_code": "00100", "town": "Helsinki"},
            "iban": "FI2112345600000785",
            "bic": "NDEAFIHH",
        },
        "buyer": {
            "name": "Ostaja Ab",
            "business_id": "1572860-0",
            "address": {"street": "Tehtaantie 2", "post_code": "33100", "town": "Tampere"},
        },
        "rows": [
            {
                "description": "Konsultointi",
                "quantity": "3",
                "unit": "h",
                "unit_price": "95.50",
                "vat_percent": "25.5",
            },
            {"description": "Käsikirja", "quantity": "1", "unit_price": "20.00", "vat_percent": "10"},
        ],
        "payment_reference": "1232",
        "free_text": "Kiitos tilauksesta",
    }


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
