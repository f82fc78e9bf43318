"""Every activity's timeouts and retry policy, in one table (docs/reliability.md prints it).

A start-to-close near the activity's real worst case: its calls at their client timeouts (Maventa 30 s a
request, a token fetched first, `MAVENTA_TIMEOUT_S`; Netvisor 120 s, `NETVISOR_TIMEOUT_S`,
docs/facts/netvisor.md §1) plus the store's work around them. A heartbeat timeout of 5 s on every activity
that calls a service, so a worker lost mid-activity is noticed within about 5 s and the attempt retried on
another, however long the activity may legitimately run: the worker beats for it in the background
(workers/keep_alive.py), except where the activity beats itself to carry its progress. Activities that only
touch the store are bounded by a short start-to-close instead.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy

HEARTBEAT = timedelta(seconds=5)
"""A lost worker is noticed this soon; beats go every third of it (workers/keep_alive.py), and the SDK passes
one on every 0.8 of it, so a worker's event loop may stall for about half of it before a beat is missed. It
was 10 s until 2026-12-08, most of the 15.7 s a lost worker then took to recover (docs/reliability.md)."""
MAVENTA_CALL = timedelta(seconds=30)
NETVISOR_CALL = timedelta(seconds=120)
STORE_WORK = timedelta(seconds=15)
"""The store's reads and writes around an activity's calls, with room for a slow disk or a busy pool."""

KEEP_TRYING = RetryPolicy(
    initial_interval=timedelta(seconds=1), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=5)
)
"""Transient failures (5xx, 429, timeouts, a lost worker) are retried until they pass; refusals are raised as
non-retryable and end the retries at once."""
CHECK_A_FEW_TIMES = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30), maximum_attempts=3
)
"""A periodic check that keeps failing is simply made again at its next time."""
WHILE_ASKED = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10), maximum_attempts=4
)
"""Someone waits for the answer: a Maventa that stays down gets a FAILED answer to try again later."""
QUEUE_READ_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=3)
"""A queue that cannot be read now is read again by a later round; its events wait at Maventa."""
IMPORT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=5,
)
"""The import's defaults; the sweep's options (InboxOptions, from the INBOUND_* settings) may pace it. An
invoice that must wait no longer fails the activity (it waits alone, in the outcome), so what is retried here
is a lost worker or an unreachable store: a lost worker's batch resumes 1 s after its heartbeat lapses."""
BILLING_READ_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
BILL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=2), maximum_attempts=8
)
"""Transient failures get about ten minutes; then the company is reported and the next re-run tries it."""


@dataclass(frozen=True)
class Timeouts:
    start_to_close: timedelta
    heartbeat: timedelta | None
    retry: RetryPolicy
    why: str
    beats_itself: bool = False
    """The activity heartbeats with its own progress; the worker must not beat over its details."""

    def options(self) -> dict[str, Any]:
        """As `workflow.execute_activity_method` takes them."""
        return {
            "start_to_close_timeout": self.start_to_close,
            "heartbeat_timeout": self.heartbeat,
            "retry_policy": self.retry,
        }


def _maventa(calls: int, retry: RetryPolicy = KEEP_TRYING, why: str = "") -> Timeouts:
    """`calls` Maventa requests after a token, each at the client's timeout, and the store's work."""
    worst = MAVENTA_CALL * (calls + 1) + STORE_WORK
    requests = "one Maventa request" if calls == 1 else f"{calls} Maventa requests"
    return Timeouts(worst, HEARTBEAT, retry, why or f"{requests} after a token")


TIMEOUTS: dict[str, Timeouts] = {
    # A company's connection (workflows/connection_calls.py)
    "look_up_business_id": _maventa(1),
    "create_maventa_user": _maventa(1),
    "create_maventa_company": _maventa(1),
    "authorize_company": _maventa(3, why="status, request, status again (runs from before the steps)"),
    "authorization_status": _maventa(1),
    "request_authorization": _maventa(1),
    "link_vendor": _maventa(2, why="the link's state, then the link"),
    "open_receiving": _maventa(4, why="profiles, the VISMA profile, scanning, profiles again"),
    "register_peppol": _maventa(1),
    "request_bank_network": _maventa(3, why="profiles, the BANK profile, profiles again"),
    "check_networks": _maventa(1, CHECK_A_FEW_TIMES, "one read; a failing check waits for its next time"),
    "link_existing_account": _maventa(
        3, WHILE_ASKED, "link state, link, profiles; someone waits for the answer"
    ),
    "unregister_peppol": _maventa(5, why="the profiles, then each deleted (a company has at most four)"),
    "unlink_vendor": _maventa(1),
    "update_invoicing_addresses": Timeouts(
        NETVISOR_CALL + STORE_WORK, HEARTBEAT, KEEP_TRYING, "one Netvisor call"
    ),
    "record_company": Timeouts(STORE_WORK, None, KEEP_TRYING, "the store only"),
    "forget_credentials": Timeouts(STORE_WORK, None, KEEP_TRYING, "the store only"),
    # Sales invoices (workflows/sales_invoice.py)
    "upload_sales_invoice": Timeouts(
        timedelta(minutes=5),
        HEARTBEAT,
        KEEP_TRYING,
        "one upload of up to 25 MB; the fixed uuid makes a retry find the invoice already made",
    ),
    "check_delivery": _maventa(1, CHECK_A_FEW_TIMES, "one read; a failing check is made at its next time"),
    "report_status": Timeouts(NETVISOR_CALL + STORE_WORK, HEARTBEAT, KEEP_TRYING, "one Netvisor call"),
    # Service billing (workflows/billing.py)
    "companies_to_bill": Timeouts(
        timedelta(seconds=60), None, BILLING_READ_RETRY, "a page of the store's companies"
    ),
    "bill_company": Timeouts(
        NETVISOR_CALL + STORE_WORK * 2, HEARTBEAT, BILL_RETRY, "one Netvisor call between two store writes"
    ),
    # The inbox sweep (workflows/inbox.py)
    "read_received_queue": Timeouts(
        timedelta(minutes=5),
        HEARTBEAT,
        QUEUE_READ_RETRY,
        "every page of the partner queue (each a Maventa request) and a store read per company",
    ),
    "import_received": Timeouts(
        timedelta(minutes=30),
        HEARTBEAT,
        IMPORT_RETRY,
        "~50 invoices of a few seconds each; a batch cut off resumes from the finished ids it beats with",
        beats_itself=True,
    ),
}
