"""The answers the connection workflow gives to the actions it takes (R6, R10-R15, retry, the bank check),
in words for the person who asked: what happened, and what to do next when something is expected.

Pure functions of the state (and the clock's `now`); refusals are not here but in connection_policy.py,
since a refused action never reaches its handler.
"""

from datetime import datetime

from domain.banking_days import helsinki_date
from workflows.connection_models import ActionAnswer, ConnectionState, Failure, Outcome
from workflows.connection_policy import (
    CONTACT_SUPPORT,
    IMPORT_PATH,
    KEYS_PATH,
    SENDING_ALLOCATED,
    ConnectionStatus,
    ImportMode,
)
from workflows.connection_views import bank_network_overdue, day, minute, release_summary, shown_state


def answer(state: ConnectionState, outcome: Outcome, message: str) -> ActionAnswer:
    return ActionAnswer(outcome=outcome, state=shown_state(state), message=message)


def connection_answer(state: ConnectionState) -> ActionAnswer:
    """R6: ready, being created, or failed with a message that sends the user to customer service."""
    if state.status in SENDING_ALLOCATED:
        return answer(state, Outcome.DONE, "The Maventa connection is ready; e-invoices can be sent.")
    if state.status == ConnectionStatus.EXISTING_ACCOUNT:
        return answer(
            state,
            Outcome.FAILED,
            "This business id already has a Maventa account used outside Netvisor. " + CONTACT_SUPPORT,
        )
    if state.failure is not None:
        return answer(
            state, Outcome.FAILED, "The Maventa connection could not be created. " + CONTACT_SUPPORT
        )
    return answer(
        state, Outcome.IN_PROGRESS, "The Maventa connection is being created; it shows here once it is ready."
    )


def bank_network_answer(state: ConnectionState, now: datetime) -> ActionAnswer:
    bank = state.bank_network
    if state.failure is not None:
        return answer(state, Outcome.FAILED, state.failure.reason)
    if state.status == ConnectionStatus.CONNECTED and bank.confirmed_at is not None:
        return answer(
            state,
            Outcome.DONE,
            f"The bank network was confirmed {minute(bank.confirmed_at)} and Netvisor's invoicing "
            "addresses point to Maventa.",
        )
    assert bank.requested_at is not None and bank.deadline is not None
    overdue = " It is overdue." if bank_network_overdue(state, now) else ""
    return answer(
        state,
        Outcome.DONE,
        f"The banks have not confirmed the bank network yet (requested {minute(bank.requested_at)}, "
        f"deadline end of {day(bank.deadline)}).{overdue}",
    )


def import_answer(state: ConnectionState) -> ActionAnswer:
    """R10/R12: which received invoices are imported from now on, and where the others stay."""
    earlier = "earlier ones can be moved to Netvisor with the manual transfer."
    if state.import_mode == ImportMode.OFF or state.import_from is None:
        return answer(
            state,
            Outcome.DONE,
            "Import is off: received invoices stay in Maventa and can be moved to Netvisor with the "
            "manual transfer.",
        )
    if state.import_mode == ImportMode.NOW:
        return answer(
            state,
            Outcome.DONE,
            f"Purchase invoices received from {minute(state.import_from)} (Helsinki) on are imported "
            f"automatically; {earlier}",
        )
    return answer(
        state,
        Outcome.DONE,
        f"Purchase invoices received on or after {helsinki_date(state.import_from)} are imported "
        f"automatically; {earlier}",
    )


def linked_answer(state: ConnectionState) -> ActionAnswer:
    """R12: linked, and the import still to be chosen (or kept as chosen for new keys)."""
    if state.status == ConnectionStatus.LINKED and state.import_mode != ImportMode.OFF:
        return answer(state, Outcome.DONE, "The new keys are linked; import continues as chosen.")
    return answer(
        state,
        Outcome.DONE,
        "The Maventa account is linked to Netvisor and can send e-invoices. Importing purchase invoices "
        f"has not started: choose now or a date with {IMPORT_PATH.format(company_id=state.company_id)}. "
        "Invoices received before that can be moved with the manual transfer.",
    )


def rejoined_answer(state: ConnectionState) -> ActionAnswer:
    """§3.2: back in Netvisor with its own account linked, importing as chosen."""
    back = "The company is back in Netvisor with its Maventa account linked."
    return answer(state, Outcome.DONE, f"{back} {import_answer(state).message}")


def link_failed_answer(state: ConnectionState, reason: str) -> ActionAnswer:
    return answer(
        state,
        Outcome.FAILED,
        f"The account could not be linked: {reason}. Nothing changed; try again later, or contact Netvisor "
        "customer service if it keeps failing.",
    )


def declined_answer(state: ConnectionState) -> ActionAnswer:
    return answer(
        state,
        Outcome.DONE,
        "The company's Maventa account stays as it is and is not linked to Netvisor: no receiving, "
        f"scanning or sending through Netvisor. It can be linked later with {KEYS_PATH}.",
    )


def send_only_answer(state: ConnectionState) -> ActionAnswer:
    return answer(
        state,
        Outcome.DONE,
        "Sales invoices are sent through Netvisor; purchase invoices are received in the customer's "
        "other system, so nothing is imported into Netvisor.",
    )


def release_answer(state: ConnectionState, now: datetime) -> ActionAnswer:
    if state.status == ConnectionStatus.RELEASED:
        return answer(state, Outcome.DONE, release_summary(state, now).message)
    if state.failure is not None:
        return answer(
            state,
            Outcome.FAILED,
            f"{state.failure.reason} Import is stopped; release again (or retry) once the cause is fixed.",
        )
    return answer(
        state,
        Outcome.IN_PROGRESS,
        "Import is stopped; the vendor link and the stored keys are being removed (Maventa has not "
        "answered yet).",
    )


def quarantine_retry_answer(state: ConnectionState, invoice_id: str) -> ActionAnswer:
    """The inbox sweep imports the invoice (the sweep, not this workflow, moves received invoices)."""
    return answer(
        state,
        Outcome.DONE,
        f"Invoice {invoice_id} goes to the inbox sweep again; it returns to quarantine if it fails again.",
    )


def retry_answer(state: ConnectionState, failure: Failure | None, work_pending: bool) -> ActionAnswer:
    """How the retried step went: failed again, still under way, or done."""
    if failure is None:
        return answer(state, Outcome.DONE, "Nothing had failed.")
    if state.failure is not None:
        return answer(state, Outcome.FAILED, state.failure.reason)
    if work_pending:
        return answer(
            state,
            Outcome.IN_PROGRESS,
            f"Retrying {failure.step.value}; Maventa or Netvisor has not answered yet.",
        )
    return answer(
        state, Outcome.DONE, f"Retried {failure.step.value}: the connection is {state.status.value}."
    )
