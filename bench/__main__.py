"""`python -m bench [--quick]`: cost, throughput and scale, each next to a baseline measured in the same run.

Quick (`make bench-quick`): documents parsed per second on the public corpus, the idle month (time-skipped)
and bursts of invoices through the real stack.
Full (`make bench`) adds the steady-rate latency, the month-start founding burst under Maventa's rate limit,
memory with many live companies, recovery (a lost worker, Netvisor's partial faults) and two workers (one
against two on one task queue, and one of two killed mid-burst). The last line printed is one JSON object of
every figure.
"""

import argparse
import asyncio
import contextlib
import math
import os
import time
import traceback
from collections.abc import Sequence

from bench.actions import total
from bench.companies import Company, connected
from bench.founding import AIM, LIMIT_PER_S, budget_setting, measure_founding
from bench.idle import measure_idle
from bench.inbound import InboundResult, measure_inbound
from bench.latency import measure_latency
from bench.memory import WAKE_SAMPLE, measure_memory
from bench.outbound import measure_outbound
from bench.parsing import measure_parsing
from bench.recovery import run_recovery
from bench.report import Report, Row
from bench.stack import Running, running_stack
from bench.two_workers import run_two_workers
from bench.where import describe_cpu, describe_steps
from store.scratch import scratch_schema

BURST = 100
BURST_RUNS = 5
WIDE = 10
IMPORT_RATIO_GOAL = 0.9
LATENCY_P95_GOAL_S = 1.0
FOUNDING_RATIO_GOAL = 0.95
SHARING_COMPANIES = 10_000
MEMORY_CHECKPOINTS = (1_000, 10_000, 50_000)
"""Where the memory figure is read on the way up to `--live` companies."""
FLAT_FROM = 10_000
WORKER_RSS_GOAL_MB = 300


def _idle(report: Report, companies: int) -> None:
    result = asyncio.run(measure_idle(companies))
    naive = total(result.naive_month)
    report.figures |= {
        "idle_actions_per_company_month": round(result.per_company, 4),
        "baseline_idle_actions_per_company_month": naive,
        "idle_connection_actions_month": total(result.connection_month),
        "idle_sweep_actions_month": result.sweep_month,
        "idle_companies_sharing_sweep": companies,
        "idle_break_even_companies": result.break_even_companies,
    }
    report.add(
        Row(
            "idle CONNECTED company, actions/month",
            f"{result.per_company:.4f}",
            f"{naive} (hourly poll)",
            f"{naive / max(result.per_company, 1e-9):,.0f}x fewer",
            "<= 1",
            result.per_company <= 1,
        )
    )
    report.notes.append(
        f"idle = connection's own {total(result.connection_month)} actions in 30 days "
        f"({dict(result.connection_month)}) + sweep month {result.sweep_month:.0f} / N={companies} "
        f"companies; sweep month = 30 x {total(result.sweep_day)} actions in a sampled day "
        f"({dict(result.sweep_day)}) + "
        f"{result.sweep_continue_as_new_per_month} continue-as-new; break-even N for <= 1: "
        f"{result.break_even_companies}; baseline {dict(result.naive_month)}"
    )


def _parsing(report: Report) -> None:
    result = measure_parsing()
    report.figures |= {
        "parse_documents_per_s": round(result.per_s, 1),
        "parse_median_ms": round(result.median_ms, 3),
        "parse_p99_ms": round(result.p99_ms, 3),
        "raw_xml_parse_documents_per_s": round(result.raw_per_s, 1),
    }
    report.add(
        Row(
            f"documents parsed per second ({result.documents} corpus documents x {result.rounds})",
            f"{result.per_s:,.0f}/s (median {result.median_ms:.2f} ms, p99 {result.p99_ms:.2f} ms)",
            f"{result.raw_per_s:,.0f}/s lxml parse alone (median {result.raw_median_ms:.2f} ms)",
            f"{result.per_s / result.raw_per_s:.2f}",
        )
    )


async def _founding_only(report: Report, founding_companies: int, aim: float) -> None:
    """The whole stack with the budget, as `make run MAVENTA_REQUESTS_PER_SECOND=20` runs it."""
    async with running_stack(MAVENTA_REQUESTS_PER_SECOND=budget_setting(LIMIT_PER_S, aim)) as running:
        await _founding(report, running, founding_companies, aim)


async def _recovery(report: Report) -> None:
    """On a stack of its own with two worker processes (`make run WORKERS=2`)."""
    try:
        async with running_stack(WORKERS="2") as running:
            await run_recovery(running, report)
    except Exception as error:
        report.missing(["recovery_after_lost_worker_s", "partial_faults_known_worst_s"], f"{error!r}")
        traceback.print_exc()


async def _two_workers(report: Report, invoices: int, postgres_url: str | None = None) -> None:
    """On a stack of its own with two worker processes (`make run WORKERS=2`); the store on SQLite as
    `make run` has it, or in a scratch schema of a PostgreSQL database as production has it."""
    try:
        with scratch_schema(postgres_url) if postgres_url else contextlib.nullcontext("") as store_url:
            environment = {"WORKERS": "2"} | ({"DATABASE_URL": store_url} if store_url else {})
            async with running_stack(**environment) as running:
                await run_two_workers(running, report, invoices)
    except Exception as error:
        report.missing(["two_workers_ratio", "two_workers_killed_lost"], f"{error!r}")
        traceback.print_exc()


async def _memory_only(report: Report, live_workflows: int, checkpoints: Sequence[int]) -> None:
    async with running_stack() as running:
        await _memory(report, running, live_workflows, checkpoints)


async def _inbound_only(report: Report, bursts: int, wide_runs: int) -> None:
    """The import throughput figures alone on a stack of their own: `bursts` single bursts on one company,
    then the 10-wide burst `wide_runs` times, each measured exactly as in the full run."""
    async with running_stack() as running:
        if bursts:
            company = await connected(running)
            await _inbound(report, running, company, bursts)
        if wide_runs:
            companies = list(await asyncio.gather(*(connected(running) for _ in range(WIDE))))
            for _ in range(wide_runs):
                await _inbound_wide(report, running, companies)


async def _real_path(
    report: Report, full: bool, founding_companies: int, live_workflows: int, checkpoints: Sequence[int]
) -> None:
    async with running_stack() as running:
        company = await connected(running)
        inbound = await _inbound(report, running, company)
        await _inbound_wide(report, running)
        await _outbound(report, running, company)
        if full:
            await _latency(report, running, company, inbound)
            await _founding(report, running, founding_companies)
            await _memory(report, running, live_workflows, checkpoints)


async def _inbound(
    report: Report, running: Running, company: Company, runs: int = BURST_RUNS
) -> InboundResult | None:
    """The 100-invoice burst `runs` times on the one stack, each against its own raw runs."""
    keys = ["actions_per_imported_invoice", "import_ratio_vs_raw"]
    results: list[InboundResult] = []
    try:
        for _ in range(runs):
            results.append(await measure_inbound(running, [company], BURST))
    except Exception as error:
        report.missing(keys, f"{type(error).__name__}: {error}")
        traceback.print_exc()
        if not results:
            return None
    first = results[0]
    per_invoice = total(first.actions) / first.invoices
    ratios = [r.temporal_rate / r.raw_rate for r in results]
    report.figures |= {
        "actions_per_imported_invoice": round(per_invoice, 4),
        "import_ratio_vs_raw": round(min(ratios), 3),
        "import_ratios_vs_raw": [round(r, 3) for r in ratios],
        "imported_per_s": [round(r.temporal_rate, 2) for r in results],
        "raw_per_s": [round(r.raw_rate, 2) for r in results],
    }
    report.add(Row("actions per imported invoice", f"{per_invoice:.3f}", "", "", "<= 1", per_invoice <= 1))
    for n, result in enumerate(results, 1):
        ratio = result.temporal_rate / result.raw_rate
        report.add(
            Row(
                f"import throughput, {BURST}-invoice burst, run {n} (load {result.load:.1f})",
                f"{result.temporal_rate:.1f}/s",
                f"{result.raw_rate:.1f}/s raw",
                f"{ratio:.2f}",
                f">= {IMPORT_RATIO_GOAL}",
                ratio >= IMPORT_RATIO_GOAL,
            )
        )
        raw = ", ".join(f"{s:.2f}" for s in result.raw_s)
        report.notes.append(
            f"inbound burst {n}: {dict(result.actions)} in the sweep; Temporal {result.temporal_s:.2f} s, "
            f"raw runs {raw} s; {_where(result)}"
        )
    return first


async def _inbound_wide(report: Report, running: Running, companies: list[Company] | None = None) -> None:
    """`WIDE` companies' bursts at once, against the raw loop as many wide (new companies unless given)."""
    try:
        if companies is None:
            companies = list(await asyncio.gather(*(connected(running) for _ in range(WIDE))))
        result = await measure_inbound(running, companies, BURST)
    except Exception as error:
        report.missing(["import_wide_ratio_vs_raw"], f"{type(error).__name__}: {error}")
        traceback.print_exc()
        return
    ratio = result.temporal_rate / result.raw_rate
    report.figures |= {
        "import_wide_ratio_vs_raw": round(ratio, 3),
        "import_wide_per_s": round(result.temporal_rate, 2),
        "raw_wide_per_s": round(result.raw_rate, 2),
        "actions_per_imported_invoice_wide": round(total(result.actions) / result.invoices, 4),
    }
    report.add(
        Row(
            f"import throughput, {WIDE} companies x {BURST} at once (load {result.load:.1f})",
            f"{result.temporal_rate:.1f}/s",
            f"{result.raw_rate:.1f}/s raw, {WIDE} wide",
            f"{ratio:.2f}",
            f">= {IMPORT_RATIO_GOAL}",
            ratio >= IMPORT_RATIO_GOAL,
        )
    )
    raw = ", ".join(f"{s:.2f}" for s in result.raw_s)
    report.notes.append(
        f"inbound {WIDE} wide: {dict(result.actions)} in the sweep; Temporal {result.temporal_s:.2f} s, "
        f"raw runs {raw} s; {_where(result)}"
    )


def _where(result: InboundResult) -> str:
    """Each path's CPU per invoice by process, and the worker's import steps during the burst."""
    return (
        f"Temporal path {describe_cpu(result.cpu_temporal, result.invoices)}; raw loop "
        f"{describe_cpu(result.cpu_raw, result.invoices)}; import steps: {describe_steps(result.steps)}"
    )


async def _outbound(report: Report, running: Running, company: Company) -> None:
    try:
        result = await measure_outbound(running, company, BURST)
    except Exception as error:
        report.missing(["actions_per_sent_invoice"], f"{type(error).__name__}: {error}")
        traceback.print_exc()
        return
    per_invoice = total(result.actions) / result.invoices
    report.figures["actions_per_sent_invoice"] = round(per_invoice, 3)
    report.add(Row("actions per sent invoice", f"{per_invoice:.2f}", "", "", "<= 8", per_invoice <= 8))
    report.notes.append(
        f"outbound burst: {result.delivered}/{result.invoices} delivered in {result.seconds:.1f} s; "
        f"{dict(result.actions)}"
    )


async def _latency(report: Report, running: Running, company: Company, inbound: InboundResult | None) -> None:
    load = os.getloadavg()[0]
    result = await measure_latency(running, company, rate_per_s=10.0, seconds=30.0)
    raw_each = 1 / inbound.raw_rate if inbound else None
    report.figures |= {
        "latency_p50_s": round(result.p50, 3),
        "latency_p95_s": round(result.p95, 3),
        "latency_load": round(load, 1),
        "actions_per_imported_invoice_at_10_per_s": round(total(result.actions) / result.invoices, 3),
    }
    report.add(
        Row(
            f"webhook-to-Netvisor p50 / p95 at 10/s (load {load:.1f})",
            f"{result.p50:.2f} / {result.p95:.2f} s",
            f"{raw_each:.3f} s raw per invoice" if raw_each else "",
            f"{result.p50 / raw_each:.0f}x" if raw_each else "",
            f"p95 <= {LATENCY_P95_GOAL_S} s",
            result.p95 <= LATENCY_P95_GOAL_S,
        )
    )
    per_invoice = total(result.actions) / result.invoices
    report.add(
        Row("actions per imported invoice at 10/s", f"{per_invoice:.3f}", "", "", "<= 1", per_invoice <= 1)
    )
    report.notes.append(f"latency at 10/s: {dict(result.actions)} in the sweep, {result.invoices} invoices")


async def _founding(report: Report, running: Running, companies: int, aim: float = AIM) -> None:
    load = os.getloadavg()[0]
    result = await measure_founding(running, companies, aim=aim)
    ratio = result.achieved_per_s / result.limit_per_s
    report.figures |= {
        "burst_companies": companies,
        "burst_rate_ratio": round(ratio, 3),
        "burst_429s": result.too_many,
        "burst_seconds_to_last_account": round(result.seconds_to_last_account, 1),
        "burst_accounts_ready": result.accounts,
    }
    report.add(
        Row(
            f"founding burst, {companies} companies (load {load:.1f})",
            f"{result.achieved_per_s:.1f} req/s, {result.too_many} x 429",
            f"{result.limit_per_s:.0f} req/s limit",
            f"{ratio:.2f}",
            f">= {FOUNDING_RATIO_GOAL}, 0 x 429",
            ratio >= FOUNDING_RATIO_GOAL and result.too_many == 0,
        )
    )
    report.notes.append(
        f"founding burst: {result.accounts}/{companies} accounts in {result.seconds_to_last_account:.0f} s; "
        f"{result.requests_per_activity:.2f} Maventa requests per activity (measured unlimited); task-queue "
        f"limit {result.activities_per_s:.2f} activities/s, pace {result.limit_per_s * aim:.2f} requests/s; "
        f"429s in {result.seconds_with_429} of "
        f"{result.burst_s:.0f} s; requests/s in each tenth of the burst: "
        + ", ".join(f"{n / (result.burst_s / 10):.1f}" for n in result.answered_per_tenth)
        + f"; the worker sent {result.worker_requests} (Maventa answered "
        f"{result.ok_requests + result.too_many}), mean answer {result.mean_answer_s * 1000:.0f} ms, so its "
        f"pace's places allow at most {_places_bound(result.limit_per_s * aim, result.mean_answer_s):.2f} "
        f"requests/s; load {os.getloadavg()[0]:.1f} at the end"
        + (
            "; longest pause between answers in the second before each 429: "
            + ", ".join(f"{gap * 1000:.0f} ms" for gap in result.gap_before_429_s)
            if result.gap_before_429_s
            else ""
        )
    )


def _places_bound(per_second: float, mean_answer_s: float) -> float:
    """Each request holds one of floor(rate) places from leaving until a second after its answer."""
    return min(per_second, math.floor(per_second) / (1.0 + mean_answer_s))


async def _memory(
    report: Report, running: Running, workflows: int, checkpoints: Sequence[int] = MEMORY_CHECKPOINTS
) -> None:
    result = await measure_memory(running, workflows, checkpoints=checkpoints)
    report.figures |= {
        "live_workflows": workflows,
        "worker_rss_mb": round(result.worker_after_mb, 1),
        "worker_peak_rss_mb": round(result.worker_peak_mb, 1),
        "server_rss_mb": round(result.server_after_mb, 1),
        "memory_checkpoints": [
            {
                "workflows": c.workflows,
                "worker_rss_mb": round(c.worker_mb, 1),
                "worker_peak_rss_mb": round(c.worker_peak_mb, 1),
                "server_rss_mb": round(c.server_mb, 1),
                "server_disk_mb": round(c.server_disk_mb, 1),
                "load": round(c.load, 1),
            }
            for c in result.checkpoints
        ],
    }
    for checkpoint in result.checkpoints:
        report.add(
            Row(
                f"worker RSS, {checkpoint.workflows} live companies (load {checkpoint.load:.1f})",
                f"{checkpoint.worker_mb:.0f} MB (peak {checkpoint.worker_peak_mb:.0f})",
                f"{result.worker_before_mb:.0f} MB before",
                f"{checkpoint.worker_mb / result.worker_before_mb:.2f}",
                f"<= {WORKER_RSS_GOAL_MB} MB",
                checkpoint.worker_mb <= WORKER_RSS_GOAL_MB,
            )
        )
        report.add(
            Row(
                f"dev server, {checkpoint.workflows} live companies",
                f"{checkpoint.server_mb:.0f} MB RSS, {checkpoint.server_disk_mb:.0f} MB on disk",
                f"{result.server_before_mb:.0f} MB RSS before",
                f"{checkpoint.server_mb / result.server_before_mb:.2f}",
            )
        )
    settled = [c for c in result.checkpoints if c.workflows >= FLAT_FROM]
    if len(settled) >= 2:
        growth = settled[-1].worker_mb / settled[0].worker_mb
        report.figures["worker_rss_growth_from_10k"] = round(growth, 3)
        report.add(
            Row(
                f"worker RSS, {settled[-1].workflows} against {settled[0].workflows} live companies",
                f"{settled[-1].worker_mb:.0f} MB",
                f"{settled[0].worker_mb:.0f} MB",
                f"{growth:.2f}",
                "flat (<= 1.05)",
                growth <= 1.05,
            )
        )
    report.figures["evicted_companies_woken"] = f"{result.woken}/{WAKE_SAMPLE}"
    report.add(
        Row(
            "evicted companies woken by a report (sample of the first started)",
            f"{result.woken} of {WAKE_SAMPLE} carried on",
            "",
            "",
            "all",
            result.woken == WAKE_SAMPLE,
        )
    )
    report.notes.append(f"memory: {workflows} workflows started and settled in {result.start_s:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="idle month and invoice bursts only")
    parser.add_argument(
        "--companies", type=int, default=SHARING_COMPANIES, help="companies sharing the sweep"
    )
    parser.add_argument("--founding", type=int, default=1000, help="companies in the founding burst")
    parser.add_argument("--live", type=int, default=50_000, help="live workflows for the memory figure")
    parser.add_argument(
        "--live-checkpoints",
        default=",".join(str(n) for n in MEMORY_CHECKPOINTS),
        help="comma-separated counts on the way up to --live where memory is also read",
    )
    parser.add_argument(
        "--founding-only", action="store_true", help="only the founding burst (its own stack, a few minutes)"
    )
    parser.add_argument(
        "--memory-only", action="store_true", help="only the live-companies memory figure (its own stack)"
    )
    parser.add_argument(
        "--recovery-only",
        action="store_true",
        help="only recovery after a lost worker and under Netvisor's partial faults",
    )
    parser.add_argument(
        "--two-workers-only",
        action="store_true",
        help="only one against two workers, and one of two killed mid-burst (its own stack)",
    )
    parser.add_argument(
        "--scaling", type=int, default=1000, help="invoices in the one-vs-two-workers burst (0: skip it)"
    )
    parser.add_argument(
        "--two-workers-postgres",
        metavar="URL",
        help="the two-workers stack's store in a scratch schema of this PostgreSQL database (default SQLite)",
    )
    parser.add_argument(
        "--inbound-only",
        action="store_true",
        help="only import throughput: --bursts single bursts, then --wide-runs 10-wide ones (own stack)",
    )
    parser.add_argument("--bursts", type=int, default=BURST_RUNS, help="single bursts with --inbound-only")
    parser.add_argument("--wide-runs", type=int, default=1, help="10-wide bursts with --inbound-only")
    parser.add_argument(
        "--founding-aim", type=float, default=AIM, help="request budget as a fraction of Maventa's limit"
    )
    args = parser.parse_args()
    checkpoints = [int(n) for n in args.live_checkpoints.split(",") if n.strip()]
    report = Report()
    started = time.perf_counter()
    if (
        args.founding_only
        or args.memory_only
        or args.recovery_only
        or args.two_workers_only
        or args.inbound_only
    ):
        if args.inbound_only:
            asyncio.run(_inbound_only(report, args.bursts, args.wide_runs))
        if args.recovery_only:
            asyncio.run(_recovery(report))
        if args.two_workers_only:
            asyncio.run(_two_workers(report, args.scaling, args.two_workers_postgres))
        if args.founding_only:
            asyncio.run(_founding_only(report, args.founding, args.founding_aim))
        if args.memory_only:
            asyncio.run(_memory_only(report, args.live, checkpoints))
        report.notes.append(f"took {time.perf_counter() - started:.0f} s")
        report.print()
        return
    _parsing(report)
    _idle(report, args.companies)
    try:
        asyncio.run(_real_path(report, not args.quick, args.founding, args.live, checkpoints))
    except Exception as error:
        traceback.print_exc()
        report.notes.append(f"the real stack stopped early: {type(error).__name__}: {error}")
        for key in ("actions_per_imported_invoice", "import_ratio_vs_raw", "actions_per_sent_invoice"):
            report.figures.setdefault(key, None)
    if not args.quick:
        asyncio.run(_recovery(report))
        if args.scaling:
            asyncio.run(_two_workers(report, args.scaling, args.two_workers_postgres))
    report.notes.append(f"took {time.perf_counter() - started:.0f} s")
    report.print()


if __name__ == "__main__":
    main()
