"""Recovery under faults (issue 23), each beside the same burst without the fault in the same run, on one
stack of two worker processes (`make run WORKERS=2`), production settings.

- **A lost worker**: invoices arrive for two companies and sales invoices are sent for them; the worker
  running the import is killed (SIGKILL) three times, each started again half a second later. The figure is
  the time from the last kill until the burst is complete (every invoice imported, every sales invoice
  delivered); the baseline is the whole same burst without kills.
- **Netvisor's partial faults**: 60 invoices of one company while Netvisor answers 20 % of calls with 500 and
  drops 20 % of the rest of its answers after committing. Each invoice's attempts as the ledger shows them:
  the slowest of those imported at their first attempt, and the longest any invoice waited for its next
  attempt (a 5xx or a dropped answer may have committed, so the next waits `inbound_recheck_after_s`, 90 s,
  until Netvisor can show it). Baseline: the same 60 without faults.
"""

import asyncio
import itertools
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlmodel import col, select

from bench.companies import Company, connected
from bench.inbound import arrive
from bench.outbound import RECIPIENT, sales_invoice
from bench.report import Report, Row
from bench.stack import Running
from devstack.children import ChildProcess
from store.database import Sessions, reading
from store.received_invoices import IMPORTED, ReceivedInvoice
from workflows.inbox_models import INBOX_WORKFLOW_ID
from workflows.sales_invoice_models import maventa_uuid

KILLS = 3
PARTIAL_FAULTS = {"error_rate": 0.2, "status": 500, "drop_response_rate": 0.2}
SETTLE_S = 240.0
PARTIAL_SETTLE_S = 800.0
"""An invoice can meet an uncertain answer several times in a row (a third of the answers are 500s or
dropped), each costing a recheck of 90 s; the backstop (900 s) must not be what brings it in."""


@dataclass
class Burst:
    """What one burst did: when it was complete, and what reached Netvisor and Maventa how many times."""

    seconds: float = 0.0
    invoices_in: int = 0
    lost: int = 0
    doubled: int = 0
    invoices_out: int = 0
    lost_out: int = 0
    doubled_out: int = 0


@dataclass
class LostWorker:
    baseline: Burst
    faulted: Burst
    kills: int
    recovery_s: float
    cut: int
    """Invoices whose import attempt a kill cut short (more than one attempt counted)."""
    cut_seen: int
    """Invoices whose uncertain request Netvisor had taken (sent again, refused as used): they wait the
    recheck, as any uncertain answer that reached Netvisor does; the other cut ones go again at once."""
    others_recovery_s: float
    """Last kill → the last invoice imported but those Netvisor had seen."""


@dataclass
class PartialFaults:
    baseline: Burst
    faulted: Burst
    recheck_after_s: float
    first_try_worst_s: float
    """Slowest arrival → imported among the invoices imported by their first attempt."""
    longest_wait_s: float
    """The longest any invoice waited for its next attempt."""
    retried: int
    """Invoices that needed more than one attempt (an error or an uncertain answer)."""
    unfinished: int


# what Netvisor, Maventa and the ledger hold


async def netvisor_faults(running: Running, **faults: object) -> None:
    if faults:
        response = await running.netvisor_http.put("/_sandbox/faults", json=faults)
    else:
        response = await running.netvisor_http.delete("/_sandbox/faults")
    response.raise_for_status()


async def in_netvisor(running: Running, company: Company) -> Counter[str]:
    response = await running.netvisor_http.get(f"/_sandbox/companies/{company.business_id}/purchase-invoices")
    response.raise_for_status()
    found: Counter[str] = Counter()
    for invoice in response.json():
        comment = invoice.get("comment") or ""
        found[
            comment.split("Maventa invoice id: ")[-1].split()[0] if "Maventa invoice id: " in comment else "?"
        ] += 1
    return found


def imported_at(sessions: Sessions, invoice_ids: list[str]) -> dict[str, datetime]:
    with reading(sessions) as session:
        rows = session.exec(
            select(ReceivedInvoice).where(
                col(ReceivedInvoice.maventa_invoice_id).in_(invoice_ids),
                col(ReceivedInvoice.status) == IMPORTED,
            )
        ).all()
        return {row.maventa_invoice_id: row.updated_at for row in rows}


async def _sales_status(running: Running, company: Company, key: str) -> str:
    response = await running.api.get(f"/v1/companies/{company.company_id}/sales-invoices/{key}")
    return str(response.json().get("status")) if response.status_code == 200 else ""


async def _send(running: Running, company: Company, keys: list[str]) -> None:
    for key in keys:
        body = {
            "invoice_key": key,
            "recipient": dict(RECIPIENT),
            "invoice": sales_invoice(company.business_id, key),
        }
        for _ in range(60):
            try:
                response = await running.api.post(
                    f"/v1/companies/{company.company_id}/sales-invoices", json=body
                )
            except Exception:
                await asyncio.sleep(0.5)
                continue
            if response.status_code < 500:
                response.raise_for_status()
                break
            await asyncio.sleep(0.5)


async def _complete(
    running: Running, sessions: Sessions, received: dict[Company, list[str]], sent: dict[Company, list[str]]
) -> bool:
    ids = [i for invoices in received.values() for i in invoices]
    if len(await asyncio.to_thread(imported_at, sessions, ids)) < len(ids):
        return False
    for company, keys in sent.items():
        for key in keys:
            if await _sales_status(running, company, key) != "DELIVERED":
                return False
    return True


async def _until_complete(
    running: Running, sessions: Sessions, received: dict[Company, list[str]], sent: dict[Company, list[str]]
) -> float:
    """perf_counter() when the burst was complete (SETTLE_S at most)."""
    deadline = time.perf_counter() + SETTLE_S
    while not await _complete(running, sessions, received, sent):
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.1)
    return time.perf_counter()


async def counted(
    running: Running, received: dict[Company, list[str]], sent: dict[Company, list[str]], seconds: float
) -> Burst:
    burst = Burst(seconds=seconds)
    for company, invoices in received.items():
        found = await in_netvisor(running, company)
        burst.invoices_in += len(invoices)
        burst.lost += sum(1 for i in invoices if found[i] == 0)
        burst.doubled += sum(found[i] - 1 for i in invoices if found[i] > 1)
    for company, keys in sent.items():
        response = await running.maventa_http.get(f"/_sandbox/companies/{company.business_id}/sent-invoices")
        response.raise_for_status()
        uuids = Counter(str(row["uuid"]) for row in response.json())
        wanted = [maventa_uuid(company.company_id, key) for key in keys]
        burst.invoices_out += len(keys)
        burst.lost_out += sum(1 for u in wanted if uuids[u] == 0)
        burst.doubled_out += sum(uuids[u] - 1 for u in wanted if uuids[u] > 1)
    return burst


# the busy worker


async def busy_worker(running: Running) -> ChildProcess | None:
    by_pid = {str(worker.pid): worker for worker in running.devstack.workers}
    description = await running.client.get_workflow_handle(INBOX_WORKFLOW_ID).describe()
    for pending in description.raw_description.pending_activities:
        pid = pending.last_worker_identity.split("@")[0]
        if pending.last_started_time.seconds and pid in by_pid:
            return by_pid[pid]
    return None


async def _kill_thebusy_worker(running: Running) -> bool:
    deadline = time.perf_counter() + 10
    while (busy := await busy_worker(running)) is None:
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.05)
    os.killpg(busy.pid, 9)
    await busy.wait()
    await asyncio.sleep(0.5)
    await busy.start()
    return True


# the measurements


async def _lost_worker_burst(
    running: Running, sessions: Sessions, companies: list[Company], label: str, kill: bool
) -> tuple[Burst, int, float, int, int, float]:
    started = time.perf_counter()
    received = {c: await arrive(running, c.business_id, 30) for c in companies}
    sent = {c: [f"{label}-{n:03d}" for n in range(10)] for c in companies}
    sending = asyncio.gather(*(_send(running, c, keys) for c, keys in sent.items()))
    kills, last_kill, last_kill_at = 0, started, datetime.now(UTC)
    if kill:
        for _ in range(KILLS):
            if await _kill_thebusy_worker(running):
                kills += 1
                last_kill, last_kill_at = time.perf_counter(), datetime.now(UTC)
            await asyncio.sleep(1.0)
    await sending
    done = await _until_complete(running, sessions, received, sent)
    ids = [i for invoices in received.values() for i in invoices]
    rows = await asyncio.to_thread(ledger_rows, sessions, ids)
    seen = await asyncio.to_thread(seen_by_netvisor, sessions, ids)
    cut = [i for i, (_, tries, _) in rows.items() if tries > 1]
    others = max(
        ((at - last_kill_at).total_seconds() for i, (_, _, at) in rows.items() if i not in seen), default=0
    )
    burst = await counted(running, received, sent, done - started)
    return burst, kills, done - last_kill, len(cut), len(seen), max(0.0, others)


async def measure_lost_worker(running: Running, sessions: Sessions, companies: list[Company]) -> LostWorker:
    baseline, *_ = await _lost_worker_burst(running, sessions, companies, "calm", kill=False)
    await netvisor_faults(running, latency_ms=100)
    try:
        faulted, kills, recovery, cut, cut_seen, others = await _lost_worker_burst(
            running, sessions, companies, "kill", kill=True
        )
    finally:
        await netvisor_faults(running)
    return LostWorker(
        baseline=baseline,
        faulted=faulted,
        kills=kills,
        recovery_s=recovery,
        cut=cut,
        cut_seen=cut_seen,
        others_recovery_s=others,
    )


def ledger_rows(sessions: Sessions, invoice_ids: list[str]) -> dict[str, tuple[str, int, datetime]]:
    """Invoice id -> (status, attempts, updated_at): an attempt's start sets updated_at, so does its end."""
    with reading(sessions) as session:
        rows = session.exec(
            select(ReceivedInvoice).where(col(ReceivedInvoice.maventa_invoice_id).in_(invoice_ids))
        ).all()
        return {row.maventa_invoice_id: (row.status, row.attempts, row.updated_at) for row in rows}


def seen_by_netvisor(sessions: Sessions, invoice_ids: list[str]) -> set[str]:
    """Imported invoices whose uncertain request Netvisor refused as used when it went again: the ledger
    forgot its TransactionId, and the look-up after the recheck found the invoice (no id left) or did not (a
    third attempt, a new id). Without other faults a cut request Netvisor never took costs two attempts."""
    with reading(sessions) as session:
        rows = session.exec(
            select(ReceivedInvoice).where(
                col(ReceivedInvoice.maventa_invoice_id).in_(invoice_ids), ReceivedInvoice.status == IMPORTED
            )
        ).all()
        return {
            r.maventa_invoice_id
            for r in rows
            if r.attempts > 0 and (r.transaction_id is None or r.attempts > 2)
        }


@dataclass
class Attempts:
    """One burst's invoices as the ledger showed them, polled every 0.25 s."""

    arrived: datetime
    started: dict[str, list[datetime]] = field(default_factory=dict)
    imported: dict[str, datetime] = field(default_factory=dict)

    def first_try_worst_s(self, recheck_after_s: float) -> float:
        """Slowest arrival → imported among invoices imported by their first attempt (no error, no uncertain
        answer): one attempt, and no recheck between its start and the import (an uncertain one found in
        Netvisor by the lookup keeps its one attempt but is imported only after the recheck)."""
        first_tries = [
            moment
            for invoice_id, moment in self.imported.items()
            if len(starts := self.started.get(invoice_id, [])) <= 1
            and (not starts or (moment - starts[0]).total_seconds() < recheck_after_s / 2)
        ]
        return max(((moment - self.arrived).total_seconds() for moment in first_tries), default=0.0)

    def longest_wait_s(self, until: datetime) -> float:
        """The longest time any invoice waited for its next attempt (or, unfinished, since its last one)."""
        longest = 0.0
        for invoice_id, starts in self.started.items():
            end = self.imported.get(invoice_id, until)
            moments = [self.arrived, *starts, end]
            longest = max(longest, *((b - a).total_seconds() for a, b in itertools.pairwise(moments)))
        return longest

    @property
    def retried(self) -> int:
        return sum(1 for starts in self.started.values() if len(starts) > 1)


async def _arrivals_tracked(
    running: Running, sessions: Sessions, company: Company, count: int, within_s: float = SETTLE_S
) -> tuple[Burst, Attempts, float]:
    """The burst, each invoice's attempts, and the seconds until the last was imported (or the deadline)."""
    attempts = Attempts(arrived=datetime.now(UTC))
    started = time.perf_counter()
    ids = await arrive(running, company.business_id, count)
    seen: dict[str, int] = {}
    while len(attempts.imported) < count and time.perf_counter() < started + within_s:
        for invoice_id, (status, tries, updated) in (
            await asyncio.to_thread(ledger_rows, sessions, ids)
        ).items():
            if status == IMPORTED:
                attempts.imported.setdefault(invoice_id, updated)
            elif tries > seen.get(invoice_id, 0):
                attempts.started.setdefault(invoice_id, []).append(updated)
            seen[invoice_id] = max(tries, seen.get(invoice_id, 0))
        await asyncio.sleep(0.25)
    seconds = time.perf_counter() - started
    return await counted(running, {company: ids}, {}, seconds), attempts, seconds


async def measure_partial_faults(running: Running, sessions: Sessions, company: Company) -> PartialFaults:
    baseline, _, _ = await _arrivals_tracked(running, sessions, company, 60)
    await netvisor_faults(running, **PARTIAL_FAULTS)
    try:
        faulted, attempts, _ = await _arrivals_tracked(running, sessions, company, 60, PARTIAL_SETTLE_S)
    finally:
        await netvisor_faults(running)
    return PartialFaults(
        baseline=baseline,
        faulted=faulted,
        recheck_after_s=running.settings.inbound_recheck_after_s,
        first_try_worst_s=attempts.first_try_worst_s(running.settings.inbound_recheck_after_s),
        longest_wait_s=attempts.longest_wait_s(datetime.now(UTC)),
        retried=attempts.retried,
        unfinished=60 - len(attempts.imported),
    )


async def run_recovery(running: Running, report: Report) -> None:
    """Measure and report each part as it is done, so that a part that fails leaves the others' figures."""
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    report.notes.append(f"recovery: load average {load} before it began")
    sessions = Sessions.for_url(running.settings.store_url)
    try:
        companies = list(await asyncio.gather(*(connected(running, within_s=120) for _ in range(3))))
        _report_lost_worker(report, await measure_lost_worker(running, sessions, companies[:2]))
        _progress(report)
        _report_partial_faults(report, await measure_partial_faults(running, sessions, companies[2]))
        _progress(report)
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        report.notes.append(f"recovery: load average {load} at the end")
    finally:
        sessions.dispose()


def _progress(report: Report) -> None:
    print(f"recovery: {report.rows[-1]}", file=sys.stderr, flush=True)


def _report_lost_worker(report: Report, lost: LostWorker) -> None:
    report.figures |= {
        "recovery_after_lost_worker_s": round(lost.recovery_s, 1),
        "recovery_burst_without_kills_s": round(lost.baseline.seconds, 1),
        "recovery_kills": lost.kills,
        "recovery_cut_short": lost.cut,
        "recovery_cut_seen_by_netvisor": lost.cut_seen,
        "recovery_others_s": round(lost.others_recovery_s, 1),
        "recovery_lost": lost.faulted.lost + lost.faulted.lost_out,
        "recovery_doubled": lost.faulted.doubled + lost.faulted.doubled_out,
    }
    report.add(
        Row(
            f"lost worker: last of {lost.kills} kills → burst complete (60 in, 20 out)",
            f"{lost.recovery_s:.1f} s, {lost.faulted.lost + lost.faulted.lost_out} lost, "
            f"{lost.faulted.doubled + lost.faulted.doubled_out} doubled",
            f"{lost.baseline.seconds:.1f} s whole burst without kills",
            f"{lost.recovery_s / lost.baseline.seconds:.2f}",
            "<= 15 s, 0 lost, 0 doubled",
            lost.recovery_s <= 15
            and lost.faulted.lost + lost.faulted.lost_out == 0
            and _no_doubles(lost.faulted),
        )
    )
    report.add(
        Row(
            f"  the same: the invoices but the {lost.cut_seen} whose cut request Netvisor had taken "
            f"({lost.cut} cut short)",
            f"{lost.others_recovery_s:.1f} s",
            "those wait their recheck (an uncertain outcome that reached Netvisor)",
            "",
            "<= 15 s",
            lost.others_recovery_s <= 15,
        )
    )
    report.notes.append(
        f"recovery: lost-worker burst {lost.faulted.seconds:.1f} s with kills (Netvisor taking 100 ms), "
        f"{lost.baseline.seconds:.1f} s without"
    )


def _report_partial_faults(report: Report, partial: PartialFaults) -> None:
    report.figures |= {
        "partial_faults_first_try_worst_s": round(partial.first_try_worst_s, 1),
        "partial_faults_longest_wait_s": round(partial.longest_wait_s, 1),
        "partial_faults_retried": partial.retried,
        "partial_faults_unfinished": partial.unfinished,
        "partial_faults_baseline_s": round(partial.baseline.seconds, 1),
        "partial_faults_seconds": round(partial.faulted.seconds, 1),
        "partial_faults_lost": partial.faulted.lost,
        "partial_faults_doubled": partial.faulted.doubled,
    }
    waiting_goal = partial.recheck_after_s + 15
    report.add(
        Row(
            "Netvisor 20 % 500 + 20 % dropped, 60 invoices of one company: slowest imported at its first try",
            f"{partial.first_try_worst_s:.1f} s",
            f"{partial.baseline.seconds:.1f} s all 60 without faults",
            f"{partial.first_try_worst_s / partial.baseline.seconds:.2f}",
            "<= 30 s",
            partial.first_try_worst_s <= 30,
        )
    )
    report.add(
        Row(
            f"  the same: longest wait for a next attempt ({partial.retried} needed more than one)",
            f"{partial.longest_wait_s:.1f} s; all in {partial.faulted.seconds:.0f} s, "
            f"{partial.unfinished} unfinished, {partial.faulted.doubled} doubled",
            f"recheck after {partial.recheck_after_s:.0f} s",
            "",
            f"<= {waiting_goal:.0f} s, 0 unfinished, 0 doubled",
            partial.longest_wait_s <= waiting_goal
            and partial.unfinished == 0
            and _no_doubles(partial.faulted),
        )
    )


def _no_doubles(burst: Burst) -> bool:
    return burst.doubled == 0 and burst.doubled_out == 0
