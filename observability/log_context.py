"""Who a log line is about: company id and workflow id inside Temporal work, request id inside an API request.

The interceptors (observability/interceptors.py) and the access log middleware record the context; the filter
below copies it onto every record, whichever logger wrote it (`workflow.logger`, `activity.logger`, a module's
own logger, a client's, or code run in a thread by `asyncio.to_thread`). Fields a call passed in `extra=` win.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from weakref import WeakKeyDictionary

from temporalio import activity, workflow

_activity_company: ContextVar[str | None] = ContextVar("activity_company", default=None)
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# Keyed by the workflow object, so an evicted workflow's entry goes with it.
_workflow_companies: WeakKeyDictionary[Any, str | None] = WeakKeyDictionary()


@contextmanager
def activity_company(company_id: str | None) -> Iterator[None]:
    """The company of the activity running in this context (threads started from it inherit it)."""
    token = _activity_company.set(company_id)
    try:
        yield
    finally:
        _activity_company.reset(token)


def remember_workflow_company(company_id: str | None) -> None:
    """The company of the workflow running now; called from inside the workflow by its interceptor."""
    _workflow_companies[workflow.instance()] = company_id


@contextmanager
def api_request(request_id: str) -> Iterator[None]:
    """The API request being handled in this context."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def _temporal_context() -> dict[str, Any]:
    if workflow.in_workflow():
        info = workflow.info()
        instance = workflow.instance()
        return {
            "company_id": _workflow_companies.get(instance) if instance is not None else None,
            "workflow_id": info.workflow_id,
            "workflow_type": info.workflow_type,
        }
    if activity.in_activity():
        activity_info = activity.info()
        return {
            "company_id": _activity_company.get(),
            "workflow_id": activity_info.workflow_id,
            "workflow_type": activity_info.workflow_type,
            "activity_type": activity_info.activity_type,
        }
    return {}


class LogContextFilter(logging.Filter):
    """Adds company_id, workflow_id, workflow_type (activity_type) or request_id to each record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _temporal_context()
        request_id = _request_id.get()
        if request_id is not None:
            context["request_id"] = request_id
        for name, value in context.items():
            if name not in vars(record):
                setattr(record, name, value)
        return True
