"""Provisioning outcomes (R1), counted when the connection workflow's projection write moves a company on.

The projection write (activities/projection.py) is the one place a company's shown state changes, so the
stored row before the write and the state written tell what provisioning came to; a retried write finds the
new state stored already and counts nothing twice.
"""

from prometheus_client import Counter

from workflows.connection_models import Projection
from workflows.connection_policy import ConnectionStatus, provisioning_outcome_of

PROVISIONING_OUTCOMES = Counter(
    "maventa_provisioning_outcomes",
    "What creating a company's Maventa account came to: account_created, existing_account (business id "
    "taken at Maventa), failed (support must act) or late (not ready by the end of the founding day)",
    ["outcome"],
)

PROVISIONING = ConnectionStatus.PROVISIONING.value


def provisioning_outcome(before: tuple[str, bool] | None, after: Projection) -> str | None:
    """The outcome a projection write records, given the stored (state, needs_support) before it."""
    if before is None or before[0] != PROVISIONING:
        return None
    if after.state == PROVISIONING:
        return "late" if after.needs_support and not before[1] else None
    return provisioning_outcome_of(after.state)


def count_provisioning_outcome(before: tuple[str, bool] | None, after: Projection) -> None:
    if (outcome := provisioning_outcome(before, after)) is not None:
        PROVISIONING_OUTCOMES.labels(outcome).inc()
