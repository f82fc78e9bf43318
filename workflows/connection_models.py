"""The connection workflow's vocabulary: Netvisor's report, the lifecycle state, messages, activity payloads.

Everything here crosses Temporal as a payload (encrypted by the codec), so none of it may hold a secret: a
user's Maventa API key is kept in the vault and only its reference and masked form appear here.
"""

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from workflows.connection_policy import ConnectionStatus, ImportMode

BANK_NETWORK_OVERDUE_REASON = "Bank network overdue"
"""How the support reason starts when the banks have not confirmed by the deadline; metrics count on it."""


class Step(StrEnum):
    """A piece of work that can fail for good and be retried by support."""

    PROVISIONING = "creating the Maventa account"
    OPENING_RECEIVING = "opening receiving"
    CHECKING_BANK_NETWORK = "checking the bank network"
    UPDATING_ADDRESSES = "updating Netvisor's invoicing addresses"
    RELEASING = "releasing the account"


class Address(BaseModel):
    street: str
    post_code: str
    city: str
    country: str = "FI"


class Modules(BaseModel):
    sales: bool = False
    purchases: bool = False


class CompanyReport(BaseModel):
    """Netvisor's current view of a company; the workflow reconciles to the latest one (R2)."""

    business_id: str
    name: str
    email: str
    address: Address
    modules: Modules = Field(default_factory=Modules)


class Account(BaseModel):
    """What the service knows of the company's Maventa account; the API key itself stays in the vault."""

    company_uuid: str | None = None
    credentials_ref: str | None = None
    api_key_masked: str | None = None
    authorized: bool = False
    vendor_linked: bool = False

    @classmethod
    def linked(cls, keys: "AccountKeys") -> "Account":
        """An existing account linked by its keys (R12, R14): authorized by its owner, Netvisor's vendor
        linked."""
        return cls(
            company_uuid=keys.company_uuid,
            credentials_ref=keys.credentials_ref,
            api_key_masked=keys.api_key_masked,
            authorized=True,
            vendor_linked=True,
        )


class BankNetwork(BaseModel):
    requested_at: datetime | None = None
    deadline: datetime | None = None
    confirmed_at: datetime | None = None
    last_checked_at: datetime | None = None
    next_check_at: datetime | None = None
    checks: int = 0


class Failure(BaseModel):
    """A step that failed in a way retries cannot fix; cleared by support's retry (or R6 for provisioning)."""

    step: Step
    reason: str
    at: datetime


class Outcome(StrEnum):
    DONE = "DONE"
    IN_PROGRESS = "IN_PROGRESS"
    FAILED = "FAILED"


class ActionRequest(BaseModel):
    """Who asks for an action: a Netvisor user, a support agent; kept in the workflow's action log."""

    requested_by: str = Field(min_length=1, max_length=200)


class AccountKeys(BaseModel):
    """An existing account, its API key already checked with Maventa and stored in the vault by the API."""

    company_uuid: str = Field(min_length=1, max_length=64)
    credentials_ref: str = Field(min_length=1, max_length=64)
    api_key_masked: str = Field(max_length=16)


class LinkRequest(ActionRequest):
    """R12: link an existing Maventa account by its keys."""

    keys: AccountKeys


class SendOnlyRequest(ActionRequest):
    """R14: sending through Netvisor, receiving elsewhere; keys unless the account is linked already."""

    keys: AccountKeys | None = None


class RejoinRequest(LinkRequest):
    """§3.2: a released company's own account linked again by its keys, with the import chosen as in R12."""

    mode: ImportMode = ImportMode.OFF
    from_date: date | None = None


class QuarantineRetryRequest(ActionRequest):
    """Support hands a quarantined received invoice to the inbox sweep again (§4), recorded with who asked."""

    invoice_id: str = Field(min_length=1, max_length=64)


class ImportModeRequest(ActionRequest):
    """R10/R12: which received invoices are imported automatically; the others stay for manual transfer."""

    mode: ImportMode
    from_date: date | None = None


class ActionAnswer(BaseModel):
    outcome: Outcome
    state: str
    message: str


class ActionRecord(BaseModel):
    """An answered update, kept so a repeated update id (also across continue-as-new) gets the same answer."""

    update_id: str
    action: str
    requested_by: str
    at: datetime
    answer: ActionAnswer


class Release(BaseModel):
    """R15 under way or done: who asked, and how far it got (so a retry after a failure continues)."""

    requested_by: str
    requested_at: datetime
    state_before: ConnectionStatus
    vendor_unlinked: bool = False
    secrets_deleted: int | None = None


class ReleaseSummary(BaseModel):
    """The connection workflow's result: what releasing the company did (R15)."""

    company_id: str
    business_id: str
    name: str
    released_at: datetime
    requested_by: str
    state_before: ConnectionStatus
    maventa_company_id: str | None
    vendor_unlinked: bool
    secrets_deleted: int
    message: str
    company: CompanyReport | None = None
    """Netvisor's last report of the company, so a rejoin (§3.2) starts from it; None in summaries of
    releases from before rejoining existed."""


class Projection(BaseModel):
    """The companies projection row as the workflow last wrote it (the API's listings read the store copy)."""

    company_id: str
    business_id: str
    name: str
    state: str
    needs_support: bool
    needs_support_reason: str | None
    maventa_company_uuid: str | None
    credentials_ref: str | None
    import_mode: ImportMode
    import_from: datetime | None
    lifecycle_state: ConnectionStatus | None = None
    """Where the company stands under a NEEDS_SUPPORT `state`: inbound and outbound gate on it. None only in
    projections carried over from runs that predate it."""


class ConnectionState(BaseModel):
    """The whole state of one company's connection, carried across continue-as-new."""

    company_id: str
    company: CompanyReport
    status: ConnectionStatus = ConnectionStatus.NO_CONNECTION
    founded_at: datetime
    connection_requested: bool = False
    provisioning_started_at: datetime | None = None
    provisioning_deadline: datetime | None = None
    account: Account = Field(default_factory=Account)
    networks: dict[str, str] = Field(default_factory=dict)
    scan_address: str | None = None
    receiving_opened_at: datetime | None = None
    peppol_registered_at: datetime | None = None
    """When the service registered the company on PEPPOL; a release unregisters only what it registered."""
    bank_network: BankNetwork = Field(default_factory=BankNetwork)
    addresses_updated_at: datetime | None = None
    import_mode: ImportMode = ImportMode.OFF
    import_from: datetime | None = None
    failure: Failure | None = None
    release: Release | None = None
    actions: list[ActionRecord] = Field(default_factory=list)
    published: Projection | None = None

    @classmethod
    def after_release(
        cls, summary: "ReleaseSummary", company: CompanyReport, now: datetime
    ) -> "ConnectionState":
        """Where a rejoining run starts (§3.2): released, as the run before it ended."""
        return cls(
            company_id=summary.company_id,
            company=company,
            founded_at=now,
            status=ConnectionStatus.RELEASED,
            account=Account(company_uuid=summary.maventa_company_id),
            release=Release(
                requested_by=summary.requested_by,
                requested_at=summary.released_at,
                state_before=summary.state_before,
                vendor_unlinked=summary.vendor_unlinked,
                secrets_deleted=summary.secrets_deleted,
            ),
        )

    def account_ref(self) -> "AccountRef":
        """The account's reference for an activity; only once the account exists and its key is stored."""
        account = self.account
        assert account.company_uuid is not None and account.credentials_ref is not None
        return AccountRef(
            company_id=self.company_id,
            company_uuid=account.company_uuid,
            credentials_ref=account.credentials_ref,
        )


class ConnectionInput(BaseModel):
    company_id: str
    company: CompanyReport
    bank_check_every: timedelta = timedelta(hours=4)
    """How often the BANK profile is checked on banking days while waiting (seconds in `make run`)."""
    bank_checks_on_any_day: bool = False
    """Check on weekends and holidays too: only for `make run`, so a demo on a Saturday does not wait."""
    answer_within: timedelta = timedelta(seconds=20)
    """How long "Create Maventa connection" and retry wait for an outcome before answering IN_PROGRESS."""
    maventa_task_queue: str | None = None
    """Task queue of the activities that call Maventa (its rate limit is Maventa's); None: the workflow's
    own queue, as in runs started before the Maventa queue existed."""
    carried: ConnectionState | None = None
    returning: ReleaseSummary | None = None
    """Set on the run a released company's rejoin starts (§3.2): it begins RELEASED, where the last ended."""

    def first_state(self, now: datetime) -> ConnectionState:
        """A company's first run starts with nothing; a rejoining run (§3.2) where the last one ended."""
        if self.returning is not None:
            return ConnectionState.after_release(self.returning, self.company, now)
        return ConnectionState(company_id=self.company_id, company=self.company, founded_at=now)


class BankNetworkView(BaseModel):
    requested_at: datetime | None
    deadline: datetime | None
    confirmed_at: datetime | None
    overdue: bool
    last_checked_at: datetime | None
    next_check_at: datetime | None


class NetworkStatuses(BaseModel):
    """Status of each network registration as Maventa reports it (active, pending, error), None if absent."""

    operator: str | None = None
    bank: str | None = None
    scan: str | None = None
    peppol: str | None = None


class AccountView(BaseModel):
    """The account details Netvisor shows under "Maventa API keys" (R9) and support reads."""

    company_id: str
    state: str
    lifecycle_state: ConnectionStatus
    needs_support: bool
    needs_support_reason: str | None
    business_id: str
    name: str
    maventa_company_id: str | None
    einvoice_address: str | None
    operator: str | None
    networks: NetworkStatuses
    scan_address: str | None
    bank_network: BankNetworkView
    invoicing_addresses_updated_at: datetime | None
    import_mode: ImportMode
    import_from: datetime | None
    sending_allocated: bool
    api_key_masked: str | None
    next_step: str | None = Field(description="What the user should do next, when something is expected")
    recent_actions: list[ActionRecord]


# Activity payloads


class BusinessIdLookup(BaseModel):
    company_id: str
    business_id: str


class BusinessIdStatus(BaseModel):
    """RESERVED at Maventa is either our own earlier attempt (its uuid recorded) or someone else's account."""

    taken_elsewhere: bool
    our_company_uuid: str | None = None


class NewUser(BaseModel):
    company_id: str
    email: str
    name: str


class StoredCredentials(BaseModel):
    credentials_ref: str
    api_key_masked: str


class NewAccount(BaseModel):
    company_id: str
    credentials_ref: str
    company: CompanyReport


class CreatedAccount(BaseModel):
    company_uuid: str


class AccountRef(BaseModel):
    company_id: str
    company_uuid: str
    credentials_ref: str


class AuthorizationRequest(BaseModel):
    account: AccountRef
    business_id: str
    auth_email: str


VERIFIED = "VERIFIED"
AUTHORIZATION_UNDER_WAY = frozenset({"PENDING", "SENT", "SIGNED"})


class AuthorizationCheck(BaseModel):
    account: AccountRef
    until_verified: bool = False
    """Fail (retryably) while the company is not verified, so the retry policy does the polling."""


class Authorization(BaseModel):
    """Maventa's KYC state of the company: auth_state PENDING|SENT|SIGNED|CANCELED|NONE, company_state
    VERIFIED|UNVERIFIED|UNKNOWN."""

    auth_state: str | None = None
    company_state: str | None = None

    @property
    def verified(self) -> bool:
        return self.company_state == VERIFIED

    @property
    def under_way(self) -> bool:
        return self.auth_state in AUTHORIZATION_UNDER_WAY


class PeppolRegistration(BaseModel):
    """Register the company as a Finnish Peppol participant (0216 with its OVT code, from the business id)."""

    account: AccountRef
    business_id: str


class Networks(BaseModel):
    """The company's network registrations at Maventa: network name (VISMA, BANK, SCAN, PEPPOL) -> status."""

    statuses: dict[str, str]
    scan_address: str | None = None


class LinkAccount(BaseModel):
    """Link Netvisor's vendor key to an existing account; the vault entry it replaces is deleted after."""

    account: AccountRef
    replaces_ref: str | None = None


class CompanyRef(BaseModel):
    company_id: str


class Forgotten(BaseModel):
    secrets_deleted: int


class InvoicingAddresses(BaseModel):
    company_id: str
    business_id: str


class InvoicingAddressesSet(BaseModel):
    einvoice_address: str
    operator: str
