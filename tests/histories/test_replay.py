"""Replay the recorded histories against today's workflow code: a change that would break running workflows
(a new, removed or reordered command without `workflow.patched`) fails here, not in production.

The histories are recorded by tests/histories/record.py; docs/reliability.md says when and how to re-record.
"""

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from security.converter import data_converter
from settings import Settings
from tests.histories.record import FOLDER, RECORDING_KEY
from workers.registry import WORKFLOWS

HISTORIES = sorted(FOLDER.glob("*.json"))


def _type_of(path: Path) -> str:
    return path.name.split("__", 1)[0]


def test_every_registered_workflow_type_has_a_recorded_history() -> None:
    assert {workflow.__name__ for workflow in WORKFLOWS} <= {_type_of(path) for path in HISTORIES}


def test_a_continued_as_new_connection_is_among_them() -> None:
    assert (FOLDER / "ConnectionWorkflow__continued-as-new.json").exists()


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_history_replays_on_todays_code(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, await asyncio.to_thread(path.read_text))
    replayer = Replayer(
        workflows=list(WORKFLOWS),
        data_converter=data_converter(Settings(secrets_key=SecretStr(RECORDING_KEY))),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name} no longer replays: {result.replay_failure}"
