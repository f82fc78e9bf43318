"""What the console's company page shows, read side by side from the same use cases as the support API: the
account view (R9), the lifecycle from the workflow's history, quarantined and sent invoices, and this month's
transactions. A part that cannot be read says why; the rest of the page still shows."""

import asyncio
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from temporalio.client import Client
from temporalio.service import RPCError

from domain.pricing import MonthNotPriced
from settings import Settings
from starters.api.store import store_sessions
from starters.api.support import support_status
from starters.connection import UnknownCompany
from starters.lifecycle_timeline import ACTION_NAMES, UnknownWorkflow, lifecycle_timeline
from starters.quarantine import quarantined_invoices
from starters.transactions import month_transactions
from store.database import unit_of_work
from store.ledger import billing_month
from store.sent_invoices import SentInvoice, recent_sent_invoices
from workflows.connection import workflow_id

SENT_SHOWN = 20
QUARANTINE_SHOWN = 100


def temporal_ui_url(settings: Settings, company_id: str) -> str:
    """The same workflow in the Temporal UI (the first configured UI origin)."""
    namespace = quote(settings.temporal_namespace, safe="")
    return (
        f"{settings.temporal_ui_origins[0]}/namespaces/{namespace}/workflows/{quote(workflow_id(company_id))}"
    )


def _sent(request: Request, company_id: str) -> list[SentInvoice]:
    with unit_of_work(store_sessions(request)) as session:
        rows = recent_sent_invoices(session, company_id, SENT_SHOWN)
        for row in rows:
            session.expunge(row)
        return rows


async def company_view(request: Request, client: Client, company_id: str, now: datetime) -> dict[str, Any]:
    """The company page's context; raises ApiError when the company itself cannot be read (unknown: 404)."""
    month = billing_month(now)
    status = await support_status(client, company_id)
    timeline, quarantine, sent, transactions = await asyncio.gather(
        lifecycle_timeline(client, company_id),
        quarantined_invoices(store_sessions(request), company_id, None, QUARANTINE_SHOWN),
        asyncio.to_thread(_sent, request, company_id),
        month_transactions(store_sessions(request), request.app.state.price_list, company_id, month),
        return_exceptions=True,
    )
    account, released = status.account, status.released
    name = account.name if account else released.name if released else company_id
    context: dict[str, Any] = {
        "company_id": company_id,
        "name": name,
        "account": account,
        "released": released,
        "temporal_url": temporal_ui_url(request.app.state.settings, company_id),
        "action_names": ACTION_NAMES,
        "month": month,
        "timeline": None,
        "timeline_problem": None,
        "quarantine": None,
        "sent": [],
        "transactions": None,
        "transactions_problem": None,
    }
    if isinstance(timeline, UnknownWorkflow | RPCError):
        context["timeline_problem"] = "The workflow's history cannot be read right now; try again shortly."
    elif isinstance(timeline, BaseException):
        raise timeline
    else:
        context["timeline"] = timeline
    for key, value in (("quarantine", quarantine), ("sent", sent)):
        if isinstance(value, BaseException):
            raise value
        context[key] = value
    if isinstance(transactions, MonthNotPriced | UnknownCompany):
        context["transactions_problem"] = f"{str(transactions).capitalize()}."
    elif isinstance(transactions, BaseException):
        raise transactions
    else:
        context["transactions"] = transactions
    return context
