"""The lifecycle's rules as a support agent reads them (docs/support.md's table), and that they have one home.

Pure functions: no Temporal, no store. The workflow tests show the same rules through the validators; these
show every state against every action at once, and that no production module keeps a copy of a state list.
"""

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from workflows.connection_policy import (
    IMPORTING,
    SENDING_ALLOCATED,
    TRANSITIONS,
    ConnectionStatus,
    ImportMode,
    Standing,
    bank_check_refusal,
    create_connection_refusal,
    decline_refusal,
    from_date_refusal,
    import_mode_refusal,
    imports_automatically,
    link_refusal,
    receives,
    receiving_refusal,
    rejoin_refusal,
    release_refusal,
    retry_refusal,
    send_only_refusal,
    sending_refusal,
    sends,
)

S = ConnectionStatus
EVERY_STATE = frozenset(S)
REPO = Path(__file__).resolve().parents[2]

ALLOWED = {
    "create the connection (R6)": EVERY_STATE - {S.EXISTING_ACCOUNT, S.NOT_LINKED, S.RELEASED},
    "check the bank network": {S.RECEIVING, S.CONNECTED},
    "choose the import (R10, R12)": {S.RECEIVING, S.CONNECTED, S.LINKED},
    "link by API keys (R12)": {S.NO_CONNECTION, S.EXISTING_ACCOUNT, S.NOT_LINKED, S.SEND_ONLY, S.LINKED},
    "decline (R13)": {S.EXISTING_ACCOUNT, S.NOT_LINKED},
    "send-only with keys (R14)": {S.EXISTING_ACCOUNT, S.NOT_LINKED, S.SEND_ONLY, S.LINKED},
    "send-only with the linked keys (R14)": {S.SEND_ONLY, S.LINKED},
    "release (R15)": EVERY_STATE - {S.PROVISIONING, S.RELEASED},
    "rejoin after a release (§3.2)": {S.RELEASED},
    "send sales invoices (§5)": {S.ACTIVE, S.RECEIVING, S.CONNECTED, S.LINKED, S.SEND_ONLY},
    "receive into Netvisor (§4)": {S.RECEIVING, S.CONNECTED, S.LINKED},
}
"""Written down from §3's table and the exception table of docs/support.md, not computed from the policy."""


def refusal(action: str, status: ConnectionStatus) -> str | None:
    standing = Standing(status)
    return {
        "create the connection (R6)": lambda: create_connection_refusal(standing),
        "check the bank network": lambda: bank_check_refusal(standing),
        "choose the import (R10, R12)": lambda: import_mode_refusal(standing),
        "link by API keys (R12)": lambda: link_refusal(standing),
        "decline (R13)": lambda: decline_refusal(standing),
        "send-only with keys (R14)": lambda: send_only_refusal(standing, keys_given=True),
        "send-only with the linked keys (R14)": lambda: send_only_refusal(standing, keys_given=False),
        "release (R15)": lambda: release_refusal(standing),
        "rejoin after a release (§3.2)": lambda: rejoin_refusal(standing),
        "send sales invoices (§5)": lambda: sending_refusal("42", status.value),
        "receive into Netvisor (§4)": lambda: receiving_refusal("42", status.value),
    }[action]()


@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_each_state_allows_exactly_the_actions_support_expects_and_says_why_it_refuses_the_rest(
    action: str,
) -> None:
    for status in S:
        reason = refusal(action, status)
        if status in ALLOWED[action]:
            assert reason is None, f"{action} refused in {status}: {reason}"
        else:
            assert reason is not None and reason.endswith("."), f"{action} allowed in {status}"


def test_the_allowed_sets_are_the_ones_the_workflow_and_the_gates_use() -> None:
    assert ALLOWED["send sales invoices (§5)"] == SENDING_ALLOCATED
    assert ALLOWED["receive into Netvisor (§4)"] == IMPORTING
    assert all(sends(status) for status in SENDING_ALLOCATED)
    assert all(receives(status) for status in IMPORTING)


def test_every_state_has_its_moves_and_a_released_company_moves_only_by_rejoining() -> None:
    assert set(TRANSITIONS) == EVERY_STATE
    assert TRANSITIONS[S.RELEASED] == {S.LINKED}
    assert all(S.RELEASED in TRANSITIONS[status] for status in EVERY_STATE - {S.RELEASED})
    assert link_refusal(Standing(S.RELEASED)) is not None, "only the rejoin links a released company"


def test_work_under_way_refuses_the_exception_actions_until_it_is_done() -> None:
    linking = Standing(S.EXISTING_ACCOUNT, linking=True)
    releasing = Standing(S.LINKED, releasing=True)
    assert link_refusal(linking) == "Keys are being linked right now; try again in a moment."
    assert decline_refusal(releasing) == "The company's Maventa account is being released."
    assert import_mode_refusal(releasing) == "The account is being released, so import stays off."
    assert release_refusal(linking) == "Keys are being linked right now; try again in a moment."
    # A release asked for while the account was still being created goes on once it failed.
    assert (
        release_refusal(Standing(S.PROVISIONING, failure="Creating the Maventa account failed: 422.")) is None
    )


def test_a_failed_step_is_shown_as_needs_support_and_is_what_retry_and_the_bank_check_speak_of() -> None:
    failed = Standing(S.RECEIVING, failure="Checking the bank network failed: forbidden.")
    assert failed.shown == "NEEDS_SUPPORT"
    assert retry_refusal(failed) is None
    assert (
        bank_check_refusal(failed)
        == "A step failed: Checking the bank network failed: forbidden. Retry it first."
    )
    assert retry_refusal(Standing(S.RECEIVING)) == (
        "Nothing to retry: no step has failed (the connection is RECEIVING). To ask Maventa about the bank "
        "network now, use the bank-network check."
    )


def test_sending_refusals_tell_the_netvisor_user_what_to_do() -> None:
    assert sending_refusal("42", None) == (
        "Company 42 has no Maventa connection: report it with PUT /v1/companies/42 and send the invoice once "
        "its account is ready."
    )
    assert sending_refusal("42", "CONNECTED", "NEEDS_SUPPORT") is None
    assert sending_refusal("42", "PROVISIONING", "NEEDS_SUPPORT") == (
        "Company 42 cannot send e-invoices in state PROVISIONING: its Maventa connection needs Netvisor "
        "customer service's attention; contact them."
    )


def test_a_date_goes_with_from_date_only_and_is_not_in_the_future() -> None:
    today = date(2025, 3, 14)
    assert from_date_refusal(ImportMode.FROM_DATE, today, today) is None
    assert (
        from_date_refusal(ImportMode.FROM_DATE, None, today) == "Mode from_date needs from_date (YYYY-MM-DD)."
    )
    assert from_date_refusal(ImportMode.FROM_DATE, date(2025, 3, 15), today) == (
        "from_date 2025-03-15 is in the future (today is 2025-03-14); choose 'now' or a date up to today."
    )
    assert from_date_refusal(ImportMode.NOW, today, today) == (
        "from_date goes only with mode from_date, not with now."
    )


def _state_lists(tree: ast.AST) -> list[int]:
    """Lines of collection literals naming two or more lifecycle states (as members or as their values)."""
    names = {status.name for status in S} | {status.value for status in S}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            elements = [key for key in node.keys if key is not None]
        elif isinstance(node, ast.Set | ast.Tuple | ast.List):
            elements = list(node.elts)
        else:
            continue
        named = [
            element
            for element in elements
            if (isinstance(element, ast.Attribute) and element.attr in names)
            or (isinstance(element, ast.Constant) and element.value in names)
            or (
                isinstance(element, ast.Attribute)
                and element.attr == "value"
                and isinstance(element.value, ast.Attribute)
                and element.value.attr in names
            )
        ]
        if len(named) >= 2:
            found.append(node.lineno)
    return found


def test_no_production_module_but_the_policy_lists_lifecycle_states() -> None:
    """The support CLI is left out: it is a client of the HTTP API, colouring the states the API names."""
    production = ("activities", "observability", "starters", "store", "workers", "workflows", "clients")
    copies = {
        str(path.relative_to(REPO)): lines
        for folder in production
        for path in sorted((REPO / folder).rglob("*.py"))
        if path.name != "connection_policy.py"
        and not path.is_relative_to(REPO / "starters" / "cli")
        and (lines := _state_lists(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert copies == {}, "lists of lifecycle states outside workflows/connection_policy.py"


def test_an_invoice_imports_by_itself_from_the_chosen_moment_in_whole_seconds() -> None:
    chosen = datetime(2025, 3, 14, 10, 0, 0, 600_000, tzinfo=UTC)
    same_second, second_before = chosen.replace(microsecond=0), chosen - timedelta(seconds=1)
    assert imports_automatically("LINKED", "now", chosen, same_second)
    assert not imports_automatically("LINKED", "now", chosen, second_before)
    assert not imports_automatically("LINKED", "off", None, same_second)
    assert not imports_automatically("SEND_ONLY", "now", chosen, same_second), "send-only imports nothing"
    assert imports_automatically("CONNECTED", "now", None, second_before)
