"""Where a received invoice's import spends its time, step by step, in the worker's `/metrics`.

The upstream histogram (observability/upstream.py) times each HTTP call from the transport; these time what
the import activity waits for, as the activity sees it: a place among the companies the worker imports side
by side, the organisation's Netvisor turn, a thread for a store call, the store call itself, Maventa's reads
and the parse (run one invoice ahead, so their wait at the invoice's turn is shown apart from their length),
Netvisor's answer and Maventa's HANDLED. Summed per step and divided by the count, they say which one a slow
burst was slow in without a profiler; `step` is one of the fixed names below, so the series stay few.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Histogram

IMPORT_STEP = Histogram(
    "maventa_import_step_duration_seconds",
    "Time one received invoice (or, for company_place, one company) spent in one step of its import",
    ["step"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0),
)

STEPS = (
    "company_place",
    "invoice",
    "ledger_read",
    "maventa_reads_wait",
    "maventa_get",
    "maventa_download",
    "parse",
    "ledger_begin",
    "netvisor_turn",
    "ledger_count",
    "netvisor_import",
    "ledger_imported",
    "ledger_other",
    "maventa_handled",
    "store_thread",
)
"""company_place: waiting for one of the worker's company places; invoice: the whole of one invoice's turn;
maventa_reads_wait: what the invoice's turn still waited for its reads (the lookahead's head start used up);
maventa_get, maventa_download (each document or file), parse: those reads themselves; netvisor_turn: from the
import's start until it holds the organisation's turn (this process's and the fleet's); store_thread: from a
store call's hand-off until a thread starts it (the rest of a ledger_* step is the call itself)."""

_OBSERVERS = {step: IMPORT_STEP.labels(step) for step in STEPS}


def observe(step: str, seconds: float) -> None:
    _OBSERVERS[step].observe(seconds)


@contextmanager
def timed(step: str) -> Iterator[None]:
    """Observe the block's wall time as `step`, also when it raises."""
    started = time.perf_counter()
    try:
        yield
    finally:
        _OBSERVERS[step].observe(time.perf_counter() - started)
