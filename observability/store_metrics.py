"""`maventa_*` series read from the store when Prometheus scrapes, cached briefly so scrapes stay cheap.

These describe the whole service, not one worker: every worker reports the same values, so aggregate them
with max(), not sum().
"""

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import Session, col, select

from store.companies import Company
from store.database import Sessions, unit_of_work
from store.received_invoices import IMPORTED, QUARANTINED, ReceivedInvoice
from store.sent_invoices import SentInvoice
from workflows.connection_models import BANK_NETWORK_OVERDUE_REASON
from workflows.connection_policy import ConnectionStatus

log = logging.getLogger(__name__)

CACHE_SECONDS = 15.0


@dataclass(frozen=True)
class StoreCounts:
    companies_by_state: dict[str, int] = field(default_factory=dict)
    companies_needing_support: int = 0
    bank_network_overdue: int = 0
    received_by_status_channel: dict[tuple[str, str], int] = field(default_factory=dict)
    sent_by_status: dict[str, int] = field(default_factory=dict)


def read_counts(session: Session) -> StoreCounts:
    """One look at the store: a handful of GROUP BY queries over indexed columns."""
    by_state = select(Company.state, func.count()).group_by(Company.state)
    needing_support = select(func.count()).where(col(Company.needs_support).is_(True))
    overdue = select(func.count()).where(
        Company.state == ConnectionStatus.RECEIVING.value,
        col(Company.needs_support).is_(True),
        col(Company.needs_support_reason).startswith(BANK_NETWORK_OVERDUE_REASON),
    )
    received = select(ReceivedInvoice.status, ReceivedInvoice.channel, func.count()).group_by(
        ReceivedInvoice.status, ReceivedInvoice.channel
    )
    sent = select(SentInvoice.status, func.count()).group_by(SentInvoice.status)
    return StoreCounts(
        companies_by_state={state: n for state, n in session.exec(by_state)},
        companies_needing_support=session.exec(needing_support).one(),
        bank_network_overdue=session.exec(overdue).one(),
        received_by_status_channel={(status, channel): n for status, channel, n in session.exec(received)},
        sent_by_status={status: n for status, n in session.exec(sent)},
    )


class StoreCollector(Collector):
    """Companies by state, bank-network overdue, received invoices by channel, sales invoices by status."""

    def __init__(self, sessions: Sessions, cache_seconds: float = CACHE_SECONDS) -> None:
        self._sessions = sessions
        self._cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._counts: StoreCounts | None = None
        self._read_at = float("-inf")

    def _current(self) -> StoreCounts | None:
        with self._lock:
            if time.monotonic() - self._read_at >= self._cache_seconds:
                try:
                    with unit_of_work(self._sessions) as session:
                        self._counts = read_counts(session)
                except Exception as error:
                    log.warning("store metrics not read", extra={"error": type(error).__name__})
                    self._counts = None
                self._read_at = time.monotonic()
            return self._counts

    def describe(self) -> Iterator[Metric]:
        """Nothing up front: the registry would otherwise collect (read the store) at registration."""
        return iter(())

    def collect(self) -> Iterator[Metric]:
        counts = self._current()
        yield GaugeMetricFamily(
            "maventa_store_up", "1 if the store answered the last metrics read", value=int(counts is not None)
        )
        if counts is None:
            return
        yield from _company_families(counts)
        yield from _invoice_families(counts)


def _company_families(counts: StoreCounts) -> Iterator[Metric]:
    companies = GaugeMetricFamily(
        "maventa_companies",
        "Companies by shown state (NEEDS_SUPPORT on top of the lifecycle)",
        labels=["state"],
    )
    for state, n in sorted(counts.companies_by_state.items()):
        companies.add_metric([state], n)
    yield companies
    yield GaugeMetricFamily(
        "maventa_companies_needing_support",
        "Companies support should look at (failed steps and missed deadlines)",
        value=counts.companies_needing_support,
    )
    yield GaugeMetricFamily(
        "maventa_bank_network_overdue_companies",
        "Companies receiving whose bank network was not confirmed by its deadline",
        value=counts.bank_network_overdue,
    )


def _invoice_families(counts: StoreCounts) -> Iterator[Metric]:
    imported = CounterMetricFamily(
        "maventa_invoices_imported",
        "Received invoices imported into Netvisor, by channel",
        labels=["channel"],
    )
    quarantined = GaugeMetricFamily(
        "maventa_invoices_quarantined",
        "Received invoices set aside for support now, by channel",
        labels=["channel"],
    )
    importing = GaugeMetricFamily(
        "maventa_invoices_importing",
        "Received invoices whose import has begun but is not confirmed, by channel",
        labels=["channel"],
    )
    families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {
        IMPORTED: imported,
        QUARANTINED: quarantined,
    }
    for (status, channel), n in sorted(counts.received_by_status_channel.items()):
        families.get(status, importing).add_metric([channel], n)
    yield from (imported, quarantined, importing)
    sent = GaugeMetricFamily(
        "maventa_sales_invoices",
        "Sales e-invoices sent through Maventa, by delivery status",
        labels=["status"],
    )
    for status, n in sorted(counts.sent_by_status.items()):
        sent.add_metric([status], n)
    yield sent
