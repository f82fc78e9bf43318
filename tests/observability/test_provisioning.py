"""Provisioning outcomes are read off the projection write: what the stored row was and what it becomes."""

import pytest

from observability.provisioning import provisioning_outcome
from workflows.connection_models import Projection
from workflows.connection_policy import ImportMode


def _projection(state: str, needs_support: bool = False) -> Projection:
    return Projection(
        company_id="42",
        business_id="1234567-8",
        name="Oy",
        state=state,
        needs_support=needs_support,
        needs_support_reason="why" if needs_support else None,
        maventa_company_uuid=None,
        credentials_ref=None,
        import_mode=ImportMode.OFF,
        import_from=None,
    )


@pytest.mark.parametrize(
    ("before", "after", "outcome"),
    [
        (("PROVISIONING", False), _projection("ACTIVE"), "account_created"),
        (("PROVISIONING", True), _projection("ACTIVE"), "account_created"),
        (("PROVISIONING", False), _projection("EXISTING_ACCOUNT"), "existing_account"),
        (("PROVISIONING", False), _projection("NEEDS_SUPPORT", True), "failed"),
        (("PROVISIONING", False), _projection("PROVISIONING", True), "late"),
        (("PROVISIONING", True), _projection("PROVISIONING", True), None),
        (("ACTIVE", False), _projection("ACTIVE"), None),
        (("ACTIVE", False), _projection("RECEIVING"), None),
        (("NEEDS_SUPPORT", True), _projection("PROVISIONING"), None),
        (None, _projection("PROVISIONING"), None),
    ],
)
def test_each_provisioning_ends_in_one_outcome_and_a_repeated_write_in_none(
    before: tuple[str, bool] | None, after: Projection, outcome: str | None
) -> None:
    assert provisioning_outcome(before, after) == outcome
