"""Secrets at rest (users' Maventa API keys): Fernet-encrypted, referenced everywhere else by id only.

A reference is derived from owner and kind, so storing a company's key again replaces it and the reference
that workflows carry stays valid.
"""

import uuid
from datetime import datetime

from cryptography.fernet import InvalidToken, MultiFernet
from pydantic import SecretStr
from sqlalchemy import Column, Text, delete, select
from sqlmodel import Field, Session, SQLModel

from security.keys import vault_cipher
from settings import get_settings
from store.columns import UtcDateTime, utc_now
from store.upsert import insert_or_update

_REF_NAMESPACE = uuid.UUID("5a0c6c0e-3f7e-4c43-9d55-6d6176656e74")
_REF_SEPARATOR = "\x1f"
MASK = "****"
USER_API_KEY = "maventa_user_api_key"
"""The vault kind of a company's Maventa user API key (the owner is the Netvisor company id)."""
MASK_VISIBLE_CHARS = 4


class StoredSecret(SQLModel, table=True):
    __tablename__ = "vault_secrets"

    ref: str = Field(primary_key=True, max_length=64)
    owner: str = Field(index=True, max_length=200)
    kind: str = Field(max_length=100)
    ciphertext: str = Field(sa_column=Column(Text, nullable=False), repr=False)
    updated_at: datetime = Field(sa_column=Column(UtcDateTime, nullable=False))


class SecretUnreadableError(Exception):
    """A stored secret cannot be decrypted with any configured key."""


class UnknownSecretError(LookupError):
    """No secret is stored under a reference."""


def secret_ref(owner: str, kind: str) -> str:
    """The reference of owner's secret of this kind (stable: the same owner and kind give the same id)."""
    return "secret-" + str(uuid.uuid5(_REF_NAMESPACE, owner + _REF_SEPARATOR + kind))


def _cipher(cipher: MultiFernet | None) -> MultiFernet:
    return cipher if cipher is not None else vault_cipher(get_settings())


def put_secret(
    session: Session, owner: str, kind: str, value: SecretStr, *, cipher: MultiFernet | None = None
) -> str:
    """Store (or replace) owner's secret of this kind, encrypted with the current key; returns its ref."""
    ref = secret_ref(owner, kind)
    token = _cipher(cipher).encrypt(value.get_secret_value().encode("utf-8")).decode("ascii")
    row = {"ref": ref, "owner": owner, "kind": kind, "ciphertext": token, "updated_at": utc_now()}
    insert_or_update(session, StoredSecret, row, ["ref"], ["ciphertext", "updated_at"])
    return ref


def get_secret(session: Session, ref: str, *, cipher: MultiFernet | None = None) -> SecretStr:
    """The secret under ref, decrypted."""
    token = session.scalar(select(StoredSecret.ciphertext).where(StoredSecret.ref == ref))  # type: ignore[call-overload]
    if token is None:
        raise UnknownSecretError(f"no secret is stored under {ref}")
    try:
        return SecretStr(_cipher(cipher).decrypt(token.encode("ascii")).decode("utf-8"))
    except InvalidToken:
        raise SecretUnreadableError(
            f"secret {ref} cannot be decrypted with the configured SECRETS_KEY; "
            "the key it was stored with must stay in the list until `python -m store rotate-secrets` has run"
        ) from None


def forget_secret(session: Session, ref: str) -> None:
    """Delete the one vault entry under ref (keys that were replaced or never adopted); no entry is fine."""
    session.execute(delete(StoredSecret).where(StoredSecret.ref == ref))  # type: ignore[arg-type]


def delete_secrets(session: Session, owner: str) -> int:
    """Forget every secret of owner (e.g. when a company is released); returns how many were deleted."""
    result = session.execute(delete(StoredSecret).where(StoredSecret.owner == owner))  # type: ignore[arg-type]
    return int(result.rowcount)  # type: ignore[attr-defined]


def rotate_secrets(session: Session, *, cipher: MultiFernet | None = None) -> int:
    """Re-encrypt every secret with the current key, so older keys can then be removed from SECRETS_KEY."""
    active = _cipher(cipher)
    rows = session.scalars(select(StoredSecret)).all()
    for row in rows:
        row.ciphertext = active.rotate(row.ciphertext.encode("ascii")).decode("ascii")
        row.updated_at = utc_now()
    session.flush()
    return len(rows)


def mask(value: SecretStr) -> str:
    """The secret as support may see it: its last four characters only (nothing of a short one)."""
    plain = value.get_secret_value()
    if len(plain) < 2 * MASK_VISIBLE_CHARS:
        return MASK
    return MASK + plain[-MASK_VISIBLE_CHARS:]
