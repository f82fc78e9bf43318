"""Where a burst's time went: each process's CPU seconds (from /proc) and the worker's import steps (its
`/metrics`), read before and after a phase, outside the timed window, so they change nothing they measure."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.stack import Running

STEP_SERIES = "maventa_import_step_duration_seconds"
_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu_s(pid: int) -> float:
    """User and system CPU seconds of one process (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def cpu_seconds(running: Running) -> dict[str, float]:
    """CPU seconds so far of every process of the stack and of the bench itself (the raw loop's clients and
    the progress poll)."""
    devstack = running.devstack
    processes = {
        "dev server": devstack.temporal,
        "Maventa sandbox": devstack.maventa,
        "Netvisor sandbox": devstack.netvisor,
        "API": devstack.api,
        **{child.name: child for child in devstack.workers},
    }
    seconds = {name: _process_cpu_s(child.pid) for name, child in processes.items()}
    own = os.times()
    return seconds | {"bench": own.user + own.system}


def spent(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after}


@dataclass(frozen=True)
class Step:
    count: float
    total_s: float

    @property
    def mean_ms(self) -> float:
        return 1000 * self.total_s / self.count if self.count else 0.0


async def import_steps(running: Running) -> dict[str, Step]:
    """The worker's import steps so far (observability/import_steps.py); empty if `/metrics` is silent."""
    settings = running.settings
    url = f"http://{settings.bind_host}:{settings.metrics_port}/metrics"
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.get(url)
        response.raise_for_status()
    except httpx.HTTPError:
        return {}
    counts: dict[str, float] = {}
    sums: dict[str, float] = {}
    for line in response.text.splitlines():
        if not line.startswith(STEP_SERIES):
            continue
        name, value = line.rsplit(" ", 1)
        step = name.split('step="', 1)[1].split('"', 1)[0] if 'step="' in name else ""
        if name.startswith(f"{STEP_SERIES}_count"):
            counts[step] = float(value)
        elif name.startswith(f"{STEP_SERIES}_sum"):
            sums[step] = float(value)
    return {step: Step(counts[step], sums.get(step, 0.0)) for step in counts}


def steps_between(before: Mapping[str, Step], after: Mapping[str, Step]) -> dict[str, Step]:
    zero = Step(0, 0.0)
    return {
        step: Step(now.count - before.get(step, zero).count, now.total_s - before.get(step, zero).total_s)
        for step, now in after.items()
        if now.count > before.get(step, zero).count
    }


def describe_cpu(seconds: Mapping[str, float], invoices: int) -> str:
    busy = {name: s for name, s in seconds.items() if s >= 0.005}
    parts = [f"{name} {1000 * s / invoices:.1f}" for name, s in sorted(busy.items(), key=lambda kv: -kv[1])]
    return f"{1000 * sum(busy.values()) / invoices:.1f} ms CPU an invoice (" + ", ".join(parts) + ")"


def describe_steps(steps: Mapping[str, Step]) -> str:
    """Each step's count, mean and total seconds (the total is summed over invoices that overlap)."""
    return "; ".join(
        f"{step} {s.count:.0f} x {s.mean_ms:.1f} ms = {s.total_s:.1f} s"
        for step, s in sorted(steps.items(), key=lambda kv: -kv[1].total_s)
    )
