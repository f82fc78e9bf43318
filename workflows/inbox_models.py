"""What the inbox sweep and its activities exchange: ids and counts only, never documents or keys."""

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from workflows.activity_timeouts import HEARTBEAT, IMPORT_RETRY, TIMEOUTS

INBOX_WORKFLOW_ID = "maventa-inbox"
"""The default of settings.inbound_workflow_id."""
"""One sweep per vendor key: the partner queue it reads covers every company linked to that key."""


class InboxOptions(BaseModel):
    """How the sweep paces and sizes its work; set by the starter from settings, carried across runs."""

    backstop_every: timedelta = Field(
        timedelta(minutes=15), description="A round runs at least this often, webhook or not"
    )
    invoices_per_activity: int = Field(
        50, ge=1, description="Companies are packed into import activities of about this many invoices"
    )
    invoices_per_round: int = Field(
        500, ge=1, description="At most this many queued invoices per round; the rest go in the next round"
    )
    import_timeout: timedelta = TIMEOUTS["import_received"].start_to_close
    import_heartbeat_timeout: timedelta = Field(
        HEARTBEAT, description="A worker lost mid-batch is noticed after this long"
    )
    import_attempts: int = Field(
        IMPORT_RETRY.maximum_attempts,
        ge=1,
        description="Attempts of one import activity before its invoices wait for a later round",
    )
    import_retry_first: timedelta = Field(
        IMPORT_RETRY.initial_interval,
        description="Wait before the second attempt; doubled for each one after",
    )
    maventa_task_queue: str | None = Field(
        None,
        description="Task queue of the activities that call Maventa (rate-limited); None: the sweep's own",
    )


class ReceivedNotice(BaseModel):
    """Maventa said an invoice arrived; the queue, not this notice, says what to import."""

    maventa_company_uuid: str | None = None
    invoice_id: str | None = None
    options: InboxOptions | None = Field(
        None,
        description="A starting worker's pacing from its settings: a running sweep keeps it from then on",
    )


class TransferRequest(BaseModel):
    """Import these invoices of one company whatever its import mode (manual transfer R11, support retry)."""

    maventa_company_uuid: str
    invoice_ids: list[str] = Field(min_length=1)


class QueueRequest(BaseModel):
    invoices_per_round: int
    invoices_per_company: int


class CompanyInvoices(BaseModel):
    """One company's share of a round: invoices from the queue and invoices asked for by hand."""

    maventa_company_uuid: str
    queued: list[str] = Field(default_factory=list)
    requested: list[str] = Field(
        default_factory=list, description="Manual transfer or support retry: imported whatever the mode"
    )

    @property
    def size(self) -> int:
        return len(self.queued) + len(self.requested)


class QueueSnapshot(BaseModel):
    """The partner queue's CREATED events of known companies, grouped by company, oldest first."""

    companies: list[CompanyInvoices] = Field(default_factory=list)
    more: bool = Field(False, description="The queue held more than one round takes")
    unknown_companies: int = Field(0, description="Companies in the queue the service does not know")


class ImportBatch(BaseModel):
    """Whole companies: each is imported one invoice at a time, companies side by side."""

    companies: list[CompanyInvoices]


class WaitingInvoice(BaseModel):
    """An invoice a round left for later, and the earliest moment trying it again can help."""

    maventa_company_uuid: str
    invoice_id: str
    retry_at: datetime
    reason: str


class ImportOutcome(BaseModel):
    """What a batch did, by invoice; every count is of invoices."""

    imported: int = 0
    already_in_netvisor: int = 0
    outside_import_mode: int = 0
    quarantined: int = 0
    deferred: int = Field(0, description="Left for a later round (each in `waiting` of its round's outcome)")
    waiting: list[WaitingInvoice] = Field(
        default_factory=list, description="This batch's deferred invoices; totals keep only their count"
    )

    @property
    def settled(self) -> int:
        """Invoices this outcome finished with, whichever way."""
        return self.imported + self.already_in_netvisor + self.outside_import_mode + self.quarantined

    @property
    def retry_at(self) -> datetime | None:
        """When the first waiting invoice can be tried again; None when nothing waits."""
        return min((w.retry_at for w in self.waiting), default=None)

    def add(self, other: "ImportOutcome") -> "ImportOutcome":
        """The counts summed; the waiting invoices are the round's own, not carried into totals."""
        return ImportOutcome(
            imported=self.imported + other.imported,
            already_in_netvisor=self.already_in_netvisor + other.already_in_netvisor,
            outside_import_mode=self.outside_import_mode + other.outside_import_mode,
            quarantined=self.quarantined + other.quarantined,
            deferred=self.deferred + other.deferred,
        )


class InboxState(BaseModel):
    """Everything the sweep knows; carried whole across continue-as-new."""

    options: InboxOptions = Field(default_factory=InboxOptions)
    wake: bool = Field(True, description="A round is due: a notice, a request, or more in the queue")
    requested: dict[str, list[str]] = Field(
        default_factory=dict, description="Maventa company uuid -> invoice ids asked for by hand"
    )
    rounds: int = 0
    totals: ImportOutcome = Field(default_factory=ImportOutcome)
    retry_at: datetime | None = Field(
        None, description="Next round for invoices the last round left waiting; None: nothing waits"
    )
    fruitless_rounds: int = Field(
        0, description="Rounds in a row that left work waiting and settled nothing (their pause doubles)"
    )
