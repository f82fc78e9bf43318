"""The client's operation table against Maventa's OpenAPI: every call exists, every token asks for exactly
the scopes of the calls it serves."""

from collections import defaultdict

import pytest

from clients.maventa_operations import (
    ALL_OPERATIONS,
    COMPANY_SCOPES,
    IDENTITY_SCOPES,
    PARTNER_SCOPES,
    Operation,
)
from contracts.maventa_openapi import Operation as SpecOperation
from contracts.maventa_openapi import maventa_contract


def _spec(operation: Operation) -> SpecOperation:
    found = maventa_contract().find(operation.method, operation.path.replace("{", "x").replace("}", ""))
    assert found is not None and found.path == operation.path, operation.name
    return found


@pytest.mark.parametrize("operation", ALL_OPERATIONS, ids=lambda o: o.name)
def test_each_call_is_an_operation_of_the_openapi_with_a_token_only_where_it_has_security(
    operation: Operation,
) -> None:
    spec = _spec(operation)
    assert (operation.scopes is not None) == spec.needs_token
    assert spec.scopes <= (operation.scopes or frozenset()), f"{operation.name} needs {sorted(spec.scopes)}"


def test_each_token_asks_for_the_scopes_of_its_calls_and_no_more() -> None:
    """The union of what the operations list, per token kind: no alias, no scope no call needs."""
    needed: dict[frozenset[str], set[str]] = defaultdict(set)
    for operation in ALL_OPERATIONS:
        if operation.scopes is not None:
            needed[operation.scopes] |= _spec(operation).scopes
    assert set(needed) == {COMPANY_SCOPES, PARTNER_SCOPES, IDENTITY_SCOPES}
    for scopes, union in needed.items():
        assert scopes == union
    assert not {"eui", "company"} & (COMPANY_SCOPES | PARTNER_SCOPES | IDENTITY_SCOPES)


def test_partner_calls_need_the_partner_scopes() -> None:
    """The two calls of issue 16's first point."""
    contract = maventa_contract()
    received = contract.find("GET", "/v1/partner/invoice_events/received")
    lookups = contract.find("GET", "/v1/partner/lookups/companies")
    assert received is not None and lookups is not None
    assert received.scopes == {"partner:invoice_delivery_actions"}
    assert lookups.scopes == {"partner:lookups"}
    assert received.scopes | lookups.scopes == PARTNER_SCOPES
