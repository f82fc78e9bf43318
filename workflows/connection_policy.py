"""The connection lifecycle's rules in one place: the states, the moves between them, which actions each
state allows, and in what words the others are refused (§3, R6, R12-R15, §3.2).

Pure data and functions, no Temporal: the workflow's validators, the API's pre-checks, inbound's gate and
outbound's refusal all ask this module, so a rule changes here or nowhere. Each `*_refusal` returns None when
the action is allowed and otherwise the reason, written for the person who asked and saying what to do.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum

from domain.banking_days import HELSINKI


class ConnectionStatus(StrEnum):
    """Where a company is in its Maventa lifecycle (§3); NEEDS_SUPPORT is shown on top, see `shown_state`."""

    NO_CONNECTION = "NO_CONNECTION"
    PROVISIONING = "PROVISIONING"
    EXISTING_ACCOUNT = "EXISTING_ACCOUNT"
    ACTIVE = "ACTIVE"
    RECEIVING = "RECEIVING"
    CONNECTED = "CONNECTED"
    LINKED = "LINKED"
    SEND_ONLY = "SEND_ONLY"
    NOT_LINKED = "NOT_LINKED"
    RELEASED = "RELEASED"


class ImportMode(StrEnum):
    OFF = "off"
    NOW = "now"
    FROM_DATE = "from_date"


NEEDS_SUPPORT_STATE = "NEEDS_SUPPORT"
"""The shown state (MaventaState, API, projection) of a company with a step that retries cannot fix."""

CONTACT_SUPPORT = "Contact Netvisor customer service; they can see the reason and fix it."
KEYS_PATH = "PUT /v1/companies/{company_id}/maventa/api-keys"
IMPORT_PATH = "PUT /v1/companies/{company_id}/maventa/import"

WAITING_FOR_ACCOUNT = frozenset({ConnectionStatus.NO_CONNECTION, ConnectionStatus.PROVISIONING})
"""No account yet: "Create Maventa connection" (R6) or a module starts provisioning."""

SENDING_ALLOCATED = frozenset(
    {
        ConnectionStatus.ACTIVE,
        ConnectionStatus.RECEIVING,
        ConnectionStatus.CONNECTED,
        ConnectionStatus.LINKED,
        ConnectionStatus.SEND_ONLY,
    }
)
"""The states that send sales invoices through Netvisor (§5)."""

IMPORTING = frozenset({ConnectionStatus.RECEIVING, ConnectionStatus.CONNECTED, ConnectionStatus.LINKED})
"""The states whose received invoices go to Netvisor (§3, §4), so the only ones with an import mode.
Send-only (R14) and not-linked (R13) companies import nothing; the others do not receive through Netvisor."""

LINKABLE = frozenset(
    {
        ConnectionStatus.NO_CONNECTION,
        ConnectionStatus.EXISTING_ACCOUNT,
        ConnectionStatus.NOT_LINKED,
        ConnectionStatus.SEND_ONLY,
        ConnectionStatus.LINKED,
    }
)
"""Where an existing account's API keys can be linked (R12): no account of Netvisor's making is in the way."""

DECLINABLE = frozenset({ConnectionStatus.EXISTING_ACCOUNT, ConnectionStatus.NOT_LINKED})
"""Where the customer can decline to link an existing account (R13), or decline again."""

SEND_ONLY_WITH_KEYS = frozenset({ConnectionStatus.EXISTING_ACCOUNT, ConnectionStatus.NOT_LINKED})
SEND_ONLY_AS_LINKED = frozenset({ConnectionStatus.SEND_ONLY, ConnectionStatus.LINKED})
"""Send-only (R14) links the customer's account by its keys, or keeps the keys already linked."""

BANK_NETWORK_REQUESTED = frozenset({ConnectionStatus.RECEIVING, ConnectionStatus.CONNECTED})

TRANSITIONS: dict[ConnectionStatus, frozenset[ConnectionStatus]] = {
    ConnectionStatus.NO_CONNECTION: frozenset(
        {ConnectionStatus.PROVISIONING, ConnectionStatus.LINKED, ConnectionStatus.RELEASED}
    ),
    ConnectionStatus.PROVISIONING: frozenset(
        {ConnectionStatus.ACTIVE, ConnectionStatus.EXISTING_ACCOUNT, ConnectionStatus.RELEASED}
    ),
    ConnectionStatus.EXISTING_ACCOUNT: frozenset(
        {
            ConnectionStatus.LINKED,
            ConnectionStatus.NOT_LINKED,
            ConnectionStatus.SEND_ONLY,
            ConnectionStatus.RELEASED,
        }
    ),
    ConnectionStatus.ACTIVE: frozenset({ConnectionStatus.RECEIVING, ConnectionStatus.RELEASED}),
    ConnectionStatus.RECEIVING: frozenset({ConnectionStatus.CONNECTED, ConnectionStatus.RELEASED}),
    ConnectionStatus.CONNECTED: frozenset({ConnectionStatus.RELEASED}),
    ConnectionStatus.LINKED: frozenset(
        {ConnectionStatus.LINKED, ConnectionStatus.SEND_ONLY, ConnectionStatus.RELEASED}
    ),
    ConnectionStatus.SEND_ONLY: frozenset({ConnectionStatus.LINKED, ConnectionStatus.RELEASED}),
    ConnectionStatus.NOT_LINKED: frozenset(
        {ConnectionStatus.LINKED, ConnectionStatus.SEND_ONLY, ConnectionStatus.RELEASED}
    ),
    ConnectionStatus.RELEASED: frozenset({ConnectionStatus.LINKED}),
}
"""The legal moves. Linking (R12) comes from a company with no account of Netvisor's own, declining (R13)
and send-only (R14) from an existing account, and release (R15) from anywhere; LINKED -> LINKED is new keys
for the same link. A released company moves only by rejoining (§3.2), to LINKED."""


def can_move(current: ConnectionStatus, to: ConnectionStatus) -> bool:
    return to == current or to in TRANSITIONS[current]


PROVISIONING_OUTCOMES = {
    ConnectionStatus.ACTIVE.value: "account_created",
    ConnectionStatus.EXISTING_ACCOUNT.value: "existing_account",
    NEEDS_SUPPORT_STATE: "failed",
}
"""What creating the account came to (R1), by the state shown when it stopped: an account, someone else's
account for the business id, or a step support must fix. A release midway is no outcome of provisioning."""


def provisioning_outcome_of(shown_state: str) -> str | None:
    return PROVISIONING_OUTCOMES.get(shown_state)


def named(status: ConnectionStatus | str) -> str:
    """A state as words in a sentence: NOT_LINKED -> "not linked"."""
    return str(status).replace("_", " ").lower()


@dataclass(frozen=True)
class Standing:
    """What the rules look at: the lifecycle state and what is under way on top of it."""

    status: ConnectionStatus
    failure: str | None = None
    """Why a step failed in a way retries cannot fix; None when nothing has."""
    releasing: bool = False
    linking: bool = False

    @property
    def shown(self) -> str:
        """The state the company shows: NEEDS_SUPPORT over the lifecycle state while a step has failed."""
        return NEEDS_SUPPORT_STATE if self.failure is not None else self.status.value


# What the company's invoices may do, by the lifecycle state underneath the shown one: a step that failed for
# good (NEEDS_SUPPORT) leaves sending and receiving that are open as they are.


def sends(lifecycle_state: str) -> bool:
    return lifecycle_state in SENDING_ALLOCATED


def receives(lifecycle_state: str) -> bool:
    return lifecycle_state in IMPORTING


SENDING_ADVICE = {
    ConnectionStatus.NO_CONNECTION: 'it has no Maventa account yet; ask for one with "Create Maventa '
    'connection" or open the sales module',
    ConnectionStatus.PROVISIONING: "its Maventa account is still being created; send the invoice again once "
    "it is ready",
    ConnectionStatus.EXISTING_ACCOUNT: "its business id already has a Maventa account used elsewhere; link "
    "it with the account's API keys or choose send-only with Netvisor customer service",
    ConnectionStatus.NOT_LINKED: "the customer declined to link its Maventa account; link it to send "
    "e-invoices",
    ConnectionStatus.RELEASED: "the company has left Netvisor and its Maventa account was handed over",
}
"""What a company that cannot send sales invoices should do, by its lifecycle state (§5)."""


def imports_automatically(
    lifecycle_state: str, import_mode: str, import_from: datetime | None, received_at: datetime
) -> bool:
    """R10/R12: whether a received invoice goes to Netvisor by itself: `now` from the moment it was chosen,
    `from_date` from the date on, both inclusive; never while the company does not receive.

    Compared in whole seconds, the precision of Maventa's timestamps (`2016-09-23T09:09:06Z`): an invoice that
    arrived in the same second as "import now" was chosen reads as received at that second's start and is
    imported."""
    if not receives(lifecycle_state) or import_mode == ImportMode.OFF:
        return False
    return import_from is None or received_at >= import_from.replace(microsecond=0)


def sending_refusal(
    company_id: str, lifecycle_state: str | None, shown_state: str | None = None
) -> str | None:
    """Why the company cannot send sales invoices now (§5), for the Netvisor user; None if it can."""
    if lifecycle_state is None:
        return (
            f"Company {company_id} has no Maventa connection: report it with PUT /v1/companies/{company_id} "
            "and send the invoice once its account is ready."
        )
    if sends(lifecycle_state):
        return None
    if shown_state == NEEDS_SUPPORT_STATE:
        advice = "its Maventa connection needs Netvisor customer service's attention; contact them"
    else:
        advice = SENDING_ADVICE.get(ConnectionStatus(lifecycle_state), "contact Netvisor customer service")
    return f"Company {company_id} cannot send e-invoices in state {lifecycle_state}: {advice}."


def receiving_refusal(company_id: str, lifecycle_state: str) -> str | None:
    """Why the company's received invoices cannot be listed or moved to Netvisor (R11); None if they can."""
    if receives(lifecycle_state):
        return None
    return (
        f"Company {company_id} is {lifecycle_state}: its invoices are not received through Netvisor, so none "
        "can be listed or transferred."
    )


# The actions, each refused in the words of the state it meets.


def changing_refusal(standing: Standing) -> str | None:
    """The exception actions wait while keys are being linked or the account is being released."""
    if standing.linking:
        return "Keys are being linked right now; try again in a moment."
    if standing.releasing:
        return "The company's Maventa account is being released."
    return None


def create_connection_refusal(standing: Standing) -> str | None:
    """R6 starts or resumes provisioning; a company whose account is someone else's or gone cannot."""
    status = standing.status
    if status == ConnectionStatus.EXISTING_ACCOUNT:
        return (
            "This business id already has a Maventa account used outside Netvisor, so a new one cannot be "
            "created. " + CONTACT_SUPPORT
        )
    if status in (ConnectionStatus.NOT_LINKED, ConnectionStatus.RELEASED):
        return f"The Maventa account is {named(status)}. {CONTACT_SUPPORT}"
    return None


def bank_check_refusal(standing: Standing) -> str | None:
    """Support's "check now" (R7) asks about a bank network that has been requested."""
    if standing.failure is not None:
        return f"A step failed: {standing.failure} Retry it first."
    if standing.status not in BANK_NETWORK_REQUESTED:
        return (
            "No bank network has been requested: that happens when receiving opens (the purchase module). "
            f"The connection is {standing.shown}."
        )
    return None


def retry_refusal(standing: Standing) -> str | None:
    """Retry runs a step that failed for good again; with nothing failed there is nothing to retry."""
    if standing.failure is not None:
        return None
    hint = ""
    if standing.status == ConnectionStatus.RECEIVING:
        hint = " To ask Maventa about the bank network now, use the bank-network check."
    return f"Nothing to retry: no step has failed (the connection is {standing.shown}).{hint}"


IMPORT_REFUSALS = {
    ConnectionStatus.SEND_ONLY: "The company receives its invoices in another system (send-only), so nothing "
    "is imported into Netvisor.",
    ConnectionStatus.NOT_LINKED: "The company declined to link its Maventa account, so nothing is received "
    "through Netvisor.",
    ConnectionStatus.RELEASED: "The company has left Netvisor and its Maventa account was released.",
    ConnectionStatus.EXISTING_ACCOUNT: "The company's existing Maventa account is not linked yet: link it "
    f"with {KEYS_PATH} first, then choose the import.",
    ConnectionStatus.ACTIVE: "Receiving is not open: it opens with the purchase module, and import then "
    "starts by itself.",
}
"""Why a state has no import mode to choose (R10, R12); the others have no Maventa account yet."""


def import_mode_refusal(standing: Standing) -> str | None:
    """Only a company whose invoices go to Netvisor chooses which are imported (R10, R12)."""
    if standing.releasing:
        return "The account is being released, so import stays off."
    if standing.status not in IMPORTING:
        return IMPORT_REFUSALS.get(
            standing.status,
            "The company has no Maventa account yet; import starts by itself when receiving opens.",
        )
    return None


def from_date_refusal(mode: ImportMode, from_date: date | None, today: date) -> str | None:
    """`from_date` goes with mode from_date only, and is a day up to today (Finnish time)."""
    if mode == ImportMode.FROM_DATE:
        if from_date is None:
            return "Mode from_date needs from_date (YYYY-MM-DD)."
        if from_date > today:
            return (
                f"from_date {from_date} is in the future (today is {today}); choose 'now' or a date up to "
                "today."
            )
    elif from_date is not None:
        return f"from_date goes only with mode from_date, not with {mode.value}."
    return None


def import_start(
    mode: ImportMode, from_date: date | None, chosen: ImportMode, chosen_from: datetime | None, now: datetime
) -> datetime | None:
    """From when received invoices are imported automatically (R10, R12): the date's first moment in Finnish
    time for from_date, the moment of choosing for now (kept when now is chosen again), none when off."""
    if mode == ImportMode.FROM_DATE:
        assert from_date is not None
        return datetime.combine(from_date, time(0), tzinfo=HELSINKI).astimezone(UTC)
    if mode == ImportMode.NOW:
        return chosen_from if chosen == ImportMode.NOW and chosen_from is not None else now
    return None


def link_refusal(standing: Standing) -> str | None:
    """Why an existing account cannot be linked by API keys now (R12)."""
    if (busy := changing_refusal(standing)) is not None:
        return busy
    status = standing.status
    if status in LINKABLE:
        return None
    if status == ConnectionStatus.RELEASED:
        return "The company has left Netvisor and its Maventa account was released; nothing can be linked."
    if status == ConnectionStatus.PROVISIONING:
        return (
            "Netvisor is creating a Maventa account for the company right now, so another account cannot be "
            "linked. Wait until it is ready or has failed, then contact Netvisor customer service."
        )
    return (
        f"The company already has a Maventa account created through Netvisor (it is {named(status)}), so "
        "another account cannot be linked. To change accounts, customer service releases this one first."
    )


def decline_refusal(standing: Standing) -> str | None:
    """R13 is for a business id whose existing account the customer keeps outside Netvisor."""
    if (busy := changing_refusal(standing)) is not None:
        return busy
    status = standing.status
    if status in DECLINABLE:
        return None
    if status == ConnectionStatus.RELEASED:
        return "The company has left Netvisor and its Maventa account was released."
    if status in SEND_ONLY_AS_LINKED:
        return f"The company's account is already {named(status)} to Netvisor; to give it back, release it."
    return (
        "Declining is for a company whose business id already has a Maventa account used outside "
        f"Netvisor; this company's connection is {standing.shown}."
    )


def send_only_refusal(standing: Standing, keys_given: bool) -> str | None:
    """Why the company cannot be made send-only now (R14)."""
    if (busy := changing_refusal(standing)) is not None:
        return busy
    status = standing.status
    if status in SEND_ONLY_AS_LINKED:
        return None
    if status in SEND_ONLY_WITH_KEYS:
        if keys_given:
            return None
        return (
            "Send-only needs the account's keys: send company_uuid and user_api_key of the customer's "
            "Maventa account (they are checked with Maventa first)."
        )
    if status == ConnectionStatus.RELEASED:
        return "The company has left Netvisor and its Maventa account was released."
    return (
        f"Send-only is for a customer who keeps an existing Maventa account; this company's account is "
        f"{named(status)} through Netvisor. Release it instead if the customer takes the account over."
    )


def rejoin_refusal(standing: Standing) -> str | None:
    """§3.2: only a company that left Netvisor can come back with the account it took over."""
    if standing.status == ConnectionStatus.RELEASED:
        return None
    return (
        f"The company has not left Netvisor (it is {standing.shown}), so there is nothing to rejoin: link an "
        f"existing account with {KEYS_PATH}, or release this one first."
    )


def release_refusal(standing: Standing) -> str | None:
    """R15 from any state, but not twice, not while keys are linked and not halfway through creating the
    account (that would leave a Maventa company behind that nobody releases)."""
    status = standing.status
    if status == ConnectionStatus.RELEASED:
        return "The company's Maventa account was released already."
    if standing.linking:
        return "Keys are being linked right now; try again in a moment."
    if status == ConnectionStatus.PROVISIONING and standing.failure is None and not standing.releasing:
        return (
            "The Maventa account is still being created; release it once it is ready (or once the step has "
            "failed and shows NEEDS_SUPPORT)."
        )
    return None
