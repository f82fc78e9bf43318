"""A company's lifecycle as support reads it, from recorded histories of the connection workflow (encrypted
with the recording key, as the service's codec writes them)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr
from temporalio import workflow
from temporalio.client import WorkflowHistory

from security.converter import data_converter
from settings import Settings
from starters.lifecycle_timeline import ACTION_NAMES, EntryKind, TimelineEntry, collapsed, timeline_of
from tests.histories.record import RECORDING_KEY
from workflows.connection import ConnectionWorkflow

HISTORIES = Path(__file__).parents[1] / "histories"
EPOCH = datetime(2000, 1, 3, 9, tzinfo=UTC)
CONVERTER = data_converter(Settings(secrets_key=SecretStr(RECORDING_KEY)))


def history(label: str) -> WorkflowHistory:
    path = HISTORIES / f"ConnectionWorkflow__{label}.json"
    return WorkflowHistory.from_json("maventa-connection-x", json.loads(path.read_text(encoding="utf-8")))


async def test_a_run_is_told_with_its_states_and_netvisors_reports_decoded() -> None:
    entries, continued_from = await timeline_of(
        history("founded-to-connected-then-renamed").events, CONVERTER
    )

    states = [entry.what for entry in entries if entry.kind == EntryKind.STATE]
    reports = [entry.detail or "" for entry in entries if entry.kind == EntryKind.REPORT]
    assert states == ["State CONNECTED"]
    assert reports[0] == "Uusi nimi 0 Oy (6846409-8), modules: sales, purchases"
    assert len(reports) == 25 and reports[-1].startswith("Uusi nimi 24 Oy")
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    assert continued_from is not None, "this run continues an earlier one, which the caller reads next"


async def test_nothing_but_named_fields_reaches_the_timeline() -> None:
    entries, _ = await timeline_of(history("continued-as-new").events, CONVERTER)

    text = json.dumps([entry.model_dump(mode="json") for entry in entries], ensure_ascii=False)
    assert "Nimi jatkon jälkeen Oy (6846409-8)" in text
    for never in ("credentials_ref", "api_key", "vault", "encryption", "payload"):
        assert never not in text


def test_identical_reports_in_a_row_become_one_entry_that_counts_them() -> None:
    def at(minute: int) -> datetime:
        """Any moment will do: collapsing reads no clock."""
        return EPOCH + timedelta(minutes=minute)

    report = {"kind": EntryKind.REPORT, "what": "Netvisor reported the company", "detail": "A Oy"}
    entries = [
        TimelineEntry(at=at(1), **report),
        TimelineEntry(at=at(2), **report),
        TimelineEntry(at=at(3), kind=EntryKind.STATE, what="State RECEIVING"),
        TimelineEntry(at=at(4), **report),
        TimelineEntry(at=at(5), **report | {"detail": "B Oy"}),
    ]

    told = collapsed(entries)

    assert [(entry.what, entry.detail, entry.times) for entry in told] == [
        ("Netvisor reported the company", "A Oy", 2),
        ("State RECEIVING", None, 1),
        ("Netvisor reported the company", "A Oy", 1),
        ("Netvisor reported the company", "B Oy", 1),
    ]
    assert told[0].at == at(2), "the latest of the repeats"


def test_every_update_of_the_connection_workflow_has_a_name_agents_know() -> None:
    """A new action shows in the timeline in words, not as its Python name."""
    updates = set(workflow._Definition.must_from_class(ConnectionWorkflow).updates)
    assert "rejoin" in updates
    assert updates <= set(ACTION_NAMES)
