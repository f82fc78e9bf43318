"""What the connection workflow shows of a company: the account view (R9), the projection row, the UI summary,
the search attributes, why support should look, and the release summary (R15).

Pure functions of the state and the clock's `now`, so each view is the same whoever asks and whenever the
workflow replays.
"""

from datetime import datetime, timedelta
from typing import Any

from temporalio.common import SearchAttributeUpdate

from activities.bank_network import BANK_NETWORK
from activities.receiving import PEPPOL_NETWORK
from domain.banking_days import HELSINKI, helsinki_date
from domain.identifiers import MAVENTA_OPERATOR, einvoice_address_for
from workflows.connection_models import (
    BANK_NETWORK_OVERDUE_REASON,
    AccountView,
    BankNetworkView,
    ConnectionState,
    NetworkStatuses,
    Projection,
    ReleaseSummary,
)
from workflows.connection_policy import (
    IMPORT_PATH,
    IMPORTING,
    KEYS_PATH,
    SENDING_ALLOCATED,
    ConnectionStatus,
    ImportMode,
    Standing,
)
from workflows.search_attributes import (
    BANK_NETWORK_DEADLINE,
    BUSINESS_ID,
    MAVENTA_STATE,
    NEEDS_SUPPORT,
    NETVISOR_COMPANY_ID,
)

LEFT_IN_MAVENTA = (
    "Received invoices not yet imported stay in the customer's Maventa account (handed back with it)."
)


def day(deadline: datetime) -> str:
    """The Finnish calendar day an end-of-day deadline closes (deadlines are the next day's 00:00)."""
    return helsinki_date(deadline - timedelta(seconds=1)).isoformat()


def minute(at: datetime) -> str:
    return at.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M")


def shown_state(state: ConnectionState) -> str:
    return Standing(state.status, failure=state.failure.reason if state.failure else None).shown


def bank_network_overdue(state: ConnectionState, now: datetime) -> bool:
    deadline = state.bank_network.deadline
    return (
        state.status == ConnectionStatus.RECEIVING
        and state.bank_network.confirmed_at is None
        and deadline is not None
        and now >= deadline
    )


def support_reason(state: ConnectionState, now: datetime) -> str | None:
    """Why support should look, derived from the state and the clock; None when all is well."""
    if state.failure is not None:
        return state.failure.reason
    deadline = state.provisioning_deadline
    if state.status == ConnectionStatus.PROVISIONING and deadline and now >= deadline:
        return f"The Maventa account was not ready by the end of {day(deadline)} (Helsinki); still trying."
    if bank_network_overdue(state, now):
        bank = state.bank_network
        assert bank.requested_at is not None and bank.deadline is not None
        return (
            f"{BANK_NETWORK_OVERDUE_REASON}: requested {minute(bank.requested_at)}, "
            f"not confirmed by the end of {day(bank.deadline)}; still checking."
        )
    return None


def projection(state: ConnectionState, now: datetime) -> Projection:
    """The companies row the API's listings and the inbound sweep read."""
    reason = support_reason(state, now)
    return Projection(
        company_id=state.company_id,
        business_id=state.company.business_id,
        name=state.company.name,
        state=shown_state(state),
        needs_support=reason is not None,
        needs_support_reason=reason,
        maventa_company_uuid=state.account.company_uuid,
        credentials_ref=state.account.credentials_ref,
        import_mode=state.import_mode,
        import_from=state.import_from,
        lifecycle_state=state.status,
    )


def already_published(published: Projection | None, projection: Projection) -> bool:
    """Whether the row was written as it stands. A projection carried over from a run that predates
    `lifecycle_state` is compared without it, so replaying such a run schedules the same activities; the next
    write that is due carries it."""
    if published is not None and published.lifecycle_state is None:
        return projection.model_copy(update={"lifecycle_state": None}) == published
    return projection == published


def search_attributes(state: ConnectionState, now: datetime) -> list[SearchAttributeUpdate[Any]]:
    wanted: list[SearchAttributeUpdate[Any]] = [
        NETVISOR_COMPANY_ID.value_set(state.company_id),
        BUSINESS_ID.value_set(state.company.business_id),
        MAVENTA_STATE.value_set(shown_state(state)),
        NEEDS_SUPPORT.value_set(support_reason(state, now) is not None),
    ]
    if state.bank_network.deadline is not None:
        wanted.append(BANK_NETWORK_DEADLINE.value_set(state.bank_network.deadline))
    return wanted


def summary(state: ConnectionState, now: datetime) -> str:
    """The Temporal UI's short Markdown summary of the company."""
    bank = state.bank_network
    reason = support_reason(state, now)
    lines = [f"**{shown_state(state)}** · {state.company.name} ({state.company.business_id})"]
    if state.status == ConnectionStatus.RECEIVING and bank.requested_at and bank.deadline:
        lines.append(
            f"Bank network requested {minute(bank.requested_at)}, deadline end of {day(bank.deadline)}"
            + (f", next check {minute(bank.next_check_at)}" if bank.next_check_at else "")
        )
    if state.status == ConnectionStatus.CONNECTED:
        lines.append(
            f"E-invoice address {einvoice_address_for(state.company.business_id)} via {MAVENTA_OPERATOR}"
        )
    if state.status in IMPORTING:
        lines.append(f"Import: {state.import_mode.value}")
    if state.release is not None:
        lines.append(f"Released on request of {state.release.requested_by}")
    if reason:
        lines.append(f"Needs support: {reason}")
    return "\n\n".join(lines)


def next_step(state: ConnectionState) -> str | None:
    """What the user is expected to do, shown in the account view (R12: start the import)."""
    keys_path = KEYS_PATH.format(company_id=state.company_id)
    if state.status == ConnectionStatus.LINKED and state.import_mode == ImportMode.OFF:
        return (
            "Start importing purchase invoices, now or from a date, with "
            f"{IMPORT_PATH.format(company_id=state.company_id)}; invoices received earlier can be moved "
            "to Netvisor with the manual transfer."
        )
    if state.status == ConnectionStatus.EXISTING_ACCOUNT:
        return (
            f"The business id already has a Maventa account: link it with its API keys ({keys_path}), "
            "or ask Netvisor customer service to leave it unlinked or to use it for sending only."
        )
    if state.status == ConnectionStatus.NOT_LINKED:
        return f"Not linked to Netvisor; the account can be linked later with {keys_path}."
    return None


def account_view(state: ConnectionState, now: datetime) -> AccountView:
    """The account details of R9; the API key only masked."""
    bank = state.bank_network
    reason = support_reason(state, now)
    has_account = state.status in SENDING_ALLOCATED and state.account.company_uuid is not None
    return AccountView(
        company_id=state.company_id,
        state=shown_state(state),
        lifecycle_state=state.status,
        needs_support=reason is not None,
        needs_support_reason=reason,
        business_id=state.company.business_id,
        name=state.company.name,
        maventa_company_id=state.account.company_uuid,
        einvoice_address=einvoice_address_for(state.company.business_id) if has_account else None,
        operator=MAVENTA_OPERATOR if has_account else None,
        networks=NetworkStatuses(
            operator=state.networks.get("VISMA"),
            bank=state.networks.get(BANK_NETWORK),
            scan=state.networks.get("SCAN"),
            peppol=state.networks.get(PEPPOL_NETWORK),
        ),
        scan_address=state.scan_address,
        bank_network=BankNetworkView(
            requested_at=bank.requested_at,
            deadline=bank.deadline,
            confirmed_at=bank.confirmed_at,
            overdue=bank_network_overdue(state, now),
            last_checked_at=bank.last_checked_at,
            next_check_at=bank.next_check_at if state.status == ConnectionStatus.RECEIVING else None,
        ),
        invoicing_addresses_updated_at=state.addresses_updated_at,
        import_mode=state.import_mode,
        import_from=state.import_from,
        sending_allocated=state.status in SENDING_ALLOCATED,
        api_key_masked=state.account.api_key_masked,
        next_step=next_step(state),
        recent_actions=state.actions,
    )


def release_summary(state: ConnectionState, released_at: datetime) -> ReleaseSummary:
    """What releasing the company did (R15): the workflow's result."""
    release = state.release
    assert release is not None and release.secrets_deleted is not None
    unlinked = (
        "Netvisor's vendor link was removed at Maventa"
        if release.vendor_unlinked
        else "Netvisor had no vendor link on an account to remove"
    )
    return ReleaseSummary(
        company_id=state.company_id,
        business_id=state.company.business_id,
        name=state.company.name,
        released_at=released_at,
        requested_by=release.requested_by,
        state_before=release.state_before,
        maventa_company_id=state.account.company_uuid,
        vendor_unlinked=release.vendor_unlinked,
        secrets_deleted=release.secrets_deleted,
        message=(
            f"Released on request of {release.requested_by}: import stopped, {unlinked}, "
            f"{release.secrets_deleted} stored key(s) deleted; the Maventa account is the customer's. "
            + LEFT_IN_MAVENTA
        ),
        company=state.company,
    )
