"""Which Netvisor company a piece of Temporal work is about, for log lines and nothing else."""

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from workflows.connection import WORKFLOW_ID_PREFIX as CONNECTION_WORKFLOW_ID_PREFIX


def _own_company_id(value: Any) -> str | None:
    company_id = getattr(value, "company_id", None)
    return company_id if isinstance(company_id, str) and company_id else None


def company_of(workflow_id: str, args: Sequence[Any]) -> str | None:
    """The company of a connection workflow by its id, else the `company_id` of an input or of one of its
    fields (e.g. `AuthorizationRequest.account`). None for work spanning companies (inbox sweep, billing)."""
    if workflow_id.startswith(CONNECTION_WORKFLOW_ID_PREFIX):
        return workflow_id.removeprefix(CONNECTION_WORKFLOW_ID_PREFIX)
    for arg in args:
        found = _own_company_id(arg)
        if found is None and isinstance(arg, BaseModel):
            found = next(
                (
                    nested
                    for name in type(arg).model_fields
                    if (nested := _own_company_id(getattr(arg, name)))
                ),
                None,
            )
        if found is not None:
            return found
    return None
