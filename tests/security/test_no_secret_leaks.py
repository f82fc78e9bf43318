"""A user's Maventa API key given to the API (R12, R14) is nowhere but in the vault, encrypted (§10): not
in any workflow history (raw as Temporal stores it, nor decoded with the codec), not in a log line of the API,
the worker or the clients, and not in any API answer."""

import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from sqlmodel import select
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment

from security.codec import EncryptionCodec
from store.database import Sessions, unit_of_work
from store.vault import StoredSecret
from tests.starters.api.test_exceptions import AGENT, existing_account_company
from tests.starters.test_connection_end_to_end import NETVISOR, running_stack


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload anywhere inside a protobuf message (inputs, results, memos, failures' attributes)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        kind = field.message_type
        if field.type != FieldDescriptor.TYPE_MESSAGE or kind is None:
            continue
        if kind.GetOptions().map_entry:
            if kind.fields_by_name["value"].type != FieldDescriptor.TYPE_MESSAGE:
                continue
            items = list(value.values())
        elif field.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            yield from payloads_in(item)


async def test_the_api_key_is_only_in_the_vault(
    temporal_env: WorkflowEnvironment, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = []
    async with running_stack(temporal_env, tmp_path) as stack:
        company_id, _, keys = await existing_account_company(stack)
        key = keys["user_api_key"]
        wrong_key = f"wrong-{uuid.uuid4().hex}"
        path = f"/v1/companies/{company_id}/maventa"
        support = f"/v1/support/companies/{company_id}"
        answers += [
            await stack.api.put(
                f"{path}/api-keys", json={**keys, "user_api_key": wrong_key}, headers=NETVISOR
            ),
            await stack.api.put(f"{path}/api-keys", json=keys, headers=NETVISOR),
            await stack.api.put(f"{path}/import", json={"mode": "now"}, headers=NETVISOR),
            await stack.api.get(path, headers=NETVISOR),
            await stack.api.post(f"{support}/send-only", json=keys, headers=AGENT),
            await stack.api.get(support, headers=AGENT),
            await stack.api.get("/v1/support/companies", headers=AGENT),
        ]
        sessions = Sessions.for_url(stack.settings.store_url)
        with unit_of_work(sessions) as session:
            at_rest = [row.ciphertext for row in session.exec(select(StoredSecret)).all()]
        sessions.dispose()
        answers += [
            await stack.api.post(f"{support}/release", headers=AGENT),
            await stack.api.get(support, headers=AGENT),
        ]

        query = f"TaskQueue = '{stack.settings.temporal_task_queue}'"
        histories = [
            await stack.temporal.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
            async for execution in stack.temporal.list_workflows(query)
        ]
        codec = EncryptionCodec.from_settings(stack.settings)
        payloads = [p for history in histories for event in history.events for p in payloads_in(event)]
        decoded = await codec.decode(payloads)

    assert [a.status_code for a in answers] == [422, 200, 200, 200, 200, 200, 200, 200, 200]
    for secret in (key, wrong_key):
        for answer in answers:
            assert secret not in answer.text
        for record in caplog.records:
            assert secret not in record.getMessage() and secret not in repr(record.__dict__)
        assert all(secret not in ciphertext for ciphertext in at_rest)
        for history in histories:
            assert secret not in history.to_json()
        assert all(secret.encode() not in p.data for p in payloads), "raw payloads"
        assert all(secret.encode() not in p.SerializeToString() for p in decoded), "decoded payloads"

    assert len(at_rest) == 1, "one key in the vault while linked"
    assert histories and len(payloads) > 10
    masked = ("****" + key[-4:]).encode()
    assert any(masked in p.data for p in decoded), "decoding works: the masked key is there, the key is not"
    assert not any(masked in p.data for p in payloads), "stored payloads are encrypted"
