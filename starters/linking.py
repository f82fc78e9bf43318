"""Linking an existing Maventa account by its keys: for Netvisor's link (R12), support's send-only with keys
(R14) and a released company's rejoin (§3.2). Shared by the HTTP routes, the support console and the tests.

The user's API key goes from the request straight into the vault after Maventa accepted it for the company's
business id; a workflow only ever gets the vault reference and the masked key. Keys a workflow refuses or
cannot link leave nothing behind: the stored key is deleted again.
"""

import asyncio
import hashlib
import re
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass

from pydantic import SecretStr
from temporalio.client import Client

from clients.maventa import MaventaClient, MaventaCredentials, MaventaRequestError, MaventaUnavailable
from starters import connection
from store.database import Sessions, unit_of_work
from store.vault import USER_API_KEY, forget_secret, mask, put_secret
from workflows.connection_models import AccountKeys, ActionAnswer, Outcome
from workflows.connection_policy import Standing, link_refusal, send_only_refusal

LINKED_KEY_KIND = USER_API_KEY + ":linked:"


class KeysRejected(Exception):
    """Maventa did not accept the keys for this company; nothing was changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class MaventaUnreachable(Exception):
    """Maventa could not check the keys now; nothing was changed."""


@dataclass(frozen=True)
class OfferedKeys:
    """An existing account's keys as the user typed them."""

    company_uuid: str
    user_api_key: SecretStr


@dataclass(frozen=True)
class Linking:
    """What linking needs: the workflows, the vault, and a Maventa client with no cached tokens (so none can
    vouch for a wrong key)."""

    client: Client
    sessions: Sessions
    maventa: MaventaClient


def linked_key_kind(attempt: str | None) -> str:
    """The vault kind of keys given in one request: the same Idempotency-Key gives the same kind (a repeat
    replaces, not adds), and any key fits the vault's kind column (a digest, not the key itself)."""
    token = hashlib.sha256(attempt.encode()).hexdigest()[:32] if attempt else uuid.uuid4().hex
    return LINKED_KEY_KIND + token


def _digits(business_id: str | None) -> str:
    return re.sub(r"\D", "", business_id or "")


async def check_with_maventa(maventa: MaventaClient, offered: OfferedKeys, business_id: str) -> None:
    """Ask Maventa who these keys are, and that they are the business id's own account."""
    creds = MaventaCredentials(company_uuid=offered.company_uuid, user_api_key=offered.user_api_key)
    try:
        company = await maventa.current_company(creds)
    except MaventaRequestError:
        raise KeysRejected(
            "invalid_api_keys",
            "Maventa did not accept this company UUID and API key. Check both in Maventa (Settings > "
            "Company settings > Company information) and send them again; nothing was changed.",
        ) from None
    except MaventaUnavailable:
        raise MaventaUnreachable("Maventa could not check the keys right now; try again shortly.") from None
    if _digits(company.bid) != _digits(business_id):
        raise KeysRejected(
            "keys_of_another_company",
            f"These keys belong to a Maventa account with another business id than {business_id}; send "
            "the keys of this company's own account. Nothing was changed.",
        )


async def checked_keys(
    linking: Linking, company_id: str, business_id: str, offered: OfferedKeys, attempt: str | None
) -> AccountKeys:
    """Keys Maventa accepted for this business id, stored in the vault under a reference of their own."""
    await check_with_maventa(linking.maventa, offered, business_id)
    kind = linked_key_kind(attempt)

    def store() -> str:
        with unit_of_work(linking.sessions) as session:
            return put_secret(session, company_id, kind, offered.user_api_key)

    ref = await asyncio.to_thread(store)
    return AccountKeys(
        company_uuid=offered.company_uuid, credentials_ref=ref, api_key_masked=mask(offered.user_api_key)
    )


async def forget_unused(sessions: Sessions, keys: AccountKeys) -> None:
    """A key the workflow did not adopt (refused or failed) is deleted again: a refusal leaves no trace."""

    def forget() -> None:
        with unit_of_work(sessions) as session:
            forget_secret(session, keys.credentials_ref)

    await asyncio.to_thread(forget)


async def adopted(sessions: Sessions, keys: AccountKeys, update: Awaitable[ActionAnswer]) -> ActionAnswer:
    """The answer of the update that adopts stored keys; unless the workflow took them, they are deleted
    again (a workflow that could not answer in time may still take them, so they stay then)."""
    try:
        answer = await update
    except connection.ConnectionUnavailable:
        raise
    except Exception:
        await forget_unused(sessions, keys)
        raise
    if answer.outcome == Outcome.FAILED:
        await forget_unused(sessions, keys)
        raise connection.ActionFailed("link_failed", answer.message)
    return answer


async def link_with_keys(
    linking: Linking, company_id: str, requested_by: str, offered: OfferedKeys, attempt: str | None
) -> ActionAnswer:
    """R12: refused for the company's state first, then checked with Maventa, kept in the vault and adopted
    by the workflow (LINKED; the import is chosen after)."""
    view = await connection.account(linking.client, company_id)
    if (reason := link_refusal(Standing(view.lifecycle_state))) is not None:
        raise connection.ActionRefused(reason)
    keys = await checked_keys(linking, company_id, view.business_id, offered, attempt)
    update = connection.link_account(linking.client, company_id, requested_by, keys, attempt)
    return await adopted(linking.sessions, keys, update)


async def make_send_only(
    linking: Linking, company_id: str, requested_by: str, offered: OfferedKeys | None, attempt: str | None
) -> ActionAnswer:
    """R14: with the account's keys (checked and adopted as in R12), or with the keys linked already."""
    view = await connection.account(linking.client, company_id)
    standing = Standing(view.lifecycle_state)
    if (reason := send_only_refusal(standing, keys_given=offered is not None)) is not None:
        raise connection.ActionRefused(reason)
    if offered is None:
        return await connection.send_only_with_linked_keys(linking.client, company_id, requested_by, attempt)
    keys = await checked_keys(linking, company_id, view.business_id, offered, attempt)
    update = connection.send_only(linking.client, company_id, requested_by, keys, attempt)
    return await adopted(linking.sessions, keys, update)
