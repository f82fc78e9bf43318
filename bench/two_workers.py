"""Two worker processes on one task queue (issue 20), on a stack of its own started as `make run WORKERS=2`.

- **Scaling**: a burst of invoices over 20 companies (50 each, arriving at once) with the second worker
  stopped (SIGTERM), then with both, then both again and one again (the order cancels a machine that drifts
  faster or slower over the run, and the stores' growth). The rate runs from the arrival requests to the last
  invoice the ledger holds as imported; each process's CPU seconds (utime + stime from /proc) over each burst
  say which process bounds it.
- **A worker killed mid-burst**: with both workers, the one running an import is SIGKILLed once a fifth of
  the burst is in, and not started again until the burst is complete: the other carries on alone. Every
  invoice must be in Netvisor exactly once.
"""

import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.companies import Company, connected
from bench.inbound import arrive, imported_counts
from bench.recovery import Burst, busy_worker, counted, imported_at
from bench.report import Report, Row
from bench.stack import Running
from devstack.children import ChildProcess
from store.database import Sessions

COMPANIES = 20
SCALING_GOAL = 1.6
SETTLE_S = 300.0
"""Room for a burst and for an invoice a kill cut short (its 90 s recheck), not for the 15 min backstop."""
POLL_S = 0.25
KILL_AFTER = 0.2
"""The share of the burst imported before one of the two workers is killed."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Rate:
    """One burst: invoices per second, and each process's CPU seconds over it."""

    invoices: int
    imported: int
    seconds: float
    cpu_s: dict[str, float]
    load: float
    half_s: float
    """Seconds until half the burst was imported, and until nine tenths: a slow tail shows against them."""
    ninety_s: float

    @property
    def per_s(self) -> float:
        return self.imported / self.seconds


@dataclass
class Scaling:
    one: list[Rate] = field(default_factory=list)
    two: list[Rate] = field(default_factory=list)

    @staticmethod
    def mean(rates: list[Rate]) -> float:
        return sum(r.imported for r in rates) / sum(r.seconds for r in rates)

    @property
    def ratio(self) -> float:
        return self.mean(self.two) / self.mean(self.one)


@dataclass
class KilledWorker:
    burst: Burst
    imported_at_kill: int
    killed: bool


def _utc(moment: datetime) -> datetime:
    """SQLite gives the ledger's times back without their zone, PostgreSQL with it."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def processes(running: Running) -> dict[str, int]:
    stack = running.devstack
    found = {
        "Temporal": stack.temporal.pid,
        "Maventa sandbox": stack.maventa.pid,
        "Netvisor sandbox": stack.netvisor.pid,
        "API": stack.api.pid,
        "bench": os.getpid(),
    }
    for n, worker in enumerate(stack.workers):
        if worker.exit_code is None:
            found[f"worker {n + 1}"] = worker.pid
    return found


async def _imported(sessions: Sessions, companies: list[Company]) -> int:
    counts = await asyncio.to_thread(imported_counts, sessions, [c.company_id for c in companies])
    return sum(counts.values())


async def _arrivals(running: Running, companies: list[Company], per_company: int) -> list[str]:
    batches = await asyncio.gather(*(arrive(running, c.business_id, per_company) for c in companies))
    return [invoice_id for batch in batches for invoice_id in batch]


async def _until_imported(sessions: Sessions, companies: list[Company], target: int) -> int:
    deadline = time.perf_counter() + SETTLE_S
    while True:
        done = await _imported(sessions, companies)
        if done >= target or time.perf_counter() > deadline:
            return done
        await asyncio.sleep(POLL_S)


async def _burst(running: Running, sessions: Sessions, companies: list[Company], per_company: int) -> Rate:
    pids = processes(running)
    before_imported = await _imported(sessions, companies)
    load = os.getloadavg()[0]
    before = {name: cpu_s(pid) for name, pid in pids.items()}
    started = datetime.now(UTC)
    ids = await _arrivals(running, companies, per_company)
    await _until_imported(sessions, companies, before_imported + len(ids))
    cpu = {name: round(cpu_s(pid) - before[name], 2) for name, pid in pids.items()}
    moments = await asyncio.to_thread(imported_at, sessions, ids)
    since = sorted((_utc(moment) - started).total_seconds() for moment in moments.values()) or [0.0]
    return Rate(
        invoices=len(ids),
        imported=len(moments),
        seconds=since[-1],
        cpu_s=cpu,
        load=load,
        half_s=since[len(since) // 2],
        ninety_s=since[len(since) * 9 // 10 - 1] if len(since) >= 10 else since[-1],
    )


async def measure_scaling(
    running: Running, sessions: Sessions, companies: list[Company], invoices: int
) -> Scaling:
    per_company = invoices // len(companies)
    second = running.devstack.workers[1]
    scaling = Scaling()
    for workers in (1, 2, 2, 1):
        if workers == 1 and second.exit_code is None:
            await second.stop()
        if workers == 2 and second.exit_code is not None:
            await second.start()
            await asyncio.sleep(3.0)
        rate = await _burst(running, sessions, companies, per_company)
        (scaling.one if workers == 1 else scaling.two).append(rate)
        print(
            f"two workers: {workers} worker(s), {rate.per_s:.1f}/s, half {rate.half_s:.1f} s, nine tenths "
            f"{rate.ninety_s:.1f} s, all {rate.seconds:.1f} s, CPU {rate.cpu_s}",
            file=sys.stderr,
        )
    if second.exit_code is not None:
        await second.start()
    return scaling


async def measure_killed_worker(
    running: Running, sessions: Sessions, companies: list[Company], invoices: int
) -> KilledWorker:
    per_company = invoices // len(companies)
    before = await _imported(sessions, companies)
    started = time.perf_counter()
    received: dict[Company, list[str]] = dict(
        zip(
            companies,
            await asyncio.gather(*(arrive(running, c.business_id, per_company) for c in companies)),
            strict=True,
        )
    )
    total = sum(len(ids) for ids in received.values())
    at_kill = await _until_imported(sessions, companies, before + int(total * KILL_AFTER)) - before
    victim = await _busy(running)
    if victim is not None:
        os.killpg(victim.pid, 9)
        await victim.wait()
    await _until_imported(sessions, companies, before + total)
    seconds = time.perf_counter() - started
    if victim is not None:
        await victim.start()
    burst = await counted(running, received, {}, seconds)
    return KilledWorker(burst=burst, imported_at_kill=at_kill, killed=victim is not None)


async def _busy(running: Running) -> ChildProcess | None:
    deadline = time.perf_counter() + 10
    while True:
        worker = await busy_worker(running)
        if worker is not None or time.perf_counter() > deadline:
            return worker
        await asyncio.sleep(0.05)


async def run_two_workers(running: Running, report: Report, invoices: int) -> None:
    sessions = Sessions.for_url(running.settings.store_url)
    try:
        companies = list(await asyncio.gather(*(connected(running, within_s=180) for _ in range(COMPANIES))))
        scaling = await measure_scaling(running, sessions, companies, invoices)
        _report_scaling(report, scaling)
        killed = await measure_killed_worker(running, sessions, companies, invoices // 2)
        _report_killed(report, killed)
    finally:
        sessions.dispose()


def _report_scaling(report: Report, scaling: Scaling) -> None:
    one, two = scaling.mean(scaling.one), scaling.mean(scaling.two)
    invoices = scaling.one[0].invoices
    report.figures |= {
        "one_worker_per_s": round(one, 2),
        "two_workers_per_s": round(two, 2),
        "two_workers_ratio": round(scaling.ratio, 3),
        "two_workers_bursts": [
            {"workers": n, "per_s": round(r.per_s, 2), "load": round(r.load, 1), "cpu_s": r.cpu_s}
            for n, rates in ((1, scaling.one), (2, scaling.two))
            for r in rates
        ],
    }
    loads = ", ".join(f"{r.load:.1f}" for r in [*scaling.one, *scaling.two])
    report.add(
        Row(
            f"two workers, {invoices}-invoice burst of {COMPANIES} companies (load {loads})",
            f"{two:.1f}/s ({', '.join(f'{r.per_s:.1f}' for r in scaling.two)})",
            f"{one:.1f}/s one worker ({', '.join(f'{r.per_s:.1f}' for r in scaling.one)})",
            f"{scaling.ratio:.2f}",
            f">= {SCALING_GOAL} where the sandboxes are not the bottleneck",
            scaling.ratio >= SCALING_GOAL,
        )
    )
    for n, rates in ((1, scaling.one), (2, scaling.two)):
        for rate in rates:
            per_invoice = {name: round(1000 * s / rate.imported, 1) for name, s in rate.cpu_s.items()}
            report.notes.append(
                f"{n} worker(s), {rate.per_s:.1f}/s at load {rate.load:.1f} (half in {rate.half_s:.1f} s, "
                f"nine tenths in {rate.ninety_s:.1f} s, all in {rate.seconds:.1f} s): CPU ms per invoice "
                f"{per_invoice}, all processes {sum(per_invoice.values()):.1f}"
            )


def _report_killed(report: Report, killed: KilledWorker) -> None:
    burst = killed.burst
    report.figures |= {
        "two_workers_killed_lost": burst.lost,
        "two_workers_killed_doubled": burst.doubled,
        "two_workers_killed_seconds": round(burst.seconds, 1),
    }
    report.add(
        Row(
            f"two workers, one SIGKILLed after {killed.imported_at_kill} of {burst.invoices_in} imported"
            if killed.killed
            else "two workers, one to be SIGKILLed (no import was running to kill)",
            f"{burst.lost} lost, {burst.doubled} doubled, all in after {burst.seconds:.0f} s",
            "",
            "",
            "0 lost, 0 doubled",
            killed.killed and burst.lost == 0 and burst.doubled == 0,
        )
    )
