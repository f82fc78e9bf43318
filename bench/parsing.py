"""Received documents parsed per second on the public corpus (tests/corpus), with the per-document median and
99th percentile, next to lxml's bare parse of the same bytes in the same process (the floor any reader of
XML pays).

Times are the parsing thread's CPU time (`time.thread_time`): what a document costs the worker, without the
time other processes on a busy machine take from it (bench/README.md)."""

import contextlib
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from domain.finvoice import UnparsableInvoice, parse_invoice

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
ROUNDS = 20


@dataclass(frozen=True)
class ParsingResult:
    documents: int
    rounds: int
    per_s: float
    median_ms: float
    p99_ms: float
    raw_per_s: float
    raw_median_ms: float


def corpus() -> list[bytes]:
    return [path.read_bytes() for path in sorted(CORPUS.rglob("*")) if path.suffix.lower() == ".xml"]


def _p99(durations: list[float]) -> float:
    ordered = sorted(durations)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def measure_parsing(rounds: int = ROUNDS) -> ParsingResult:
    documents = corpus()
    raw_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parsed: list[float] = []
    raw: list[float] = []
    for _ in range(rounds):
        for document in documents:
            started = time.thread_time()
            with contextlib.suppress(UnparsableInvoice):
                parse_invoice(document)
            parsed.append(time.thread_time() - started)
            started = time.thread_time()
            with contextlib.suppress(etree.XMLSyntaxError):
                etree.fromstring(document, raw_parser)
            raw.append(time.thread_time() - started)
    return ParsingResult(
        documents=len(documents),
        rounds=rounds,
        per_s=len(parsed) / sum(parsed),
        median_ms=statistics.median(parsed) * 1000,
        p99_ms=_p99(parsed) * 1000,
        raw_per_s=len(raw) / sum(raw),
        raw_median_ms=statistics.median(raw) * 1000,
    )
