"""The service's keys, read from SECRETS_KEY: a comma-separated list of Fernet keys, the first one current.

Older keys stay in the list after a rotation so that what they encrypted can still be read. The vault uses the
keys as Fernet keys; the payload codec derives its own AES-256 keys from them so the two never share a key.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from settings import Settings

_CODEC_KEY_INFO = b"maventa-connection/temporal-payload-codec/v1"


class SecretsKeyError(ValueError):
    """SECRETS_KEY is missing or malformed; the message names the entry, never its value."""


@dataclass(frozen=True, repr=False)
class CodecKey:
    """An AES-256-GCM key for payloads and its public id (a hash, safe to store in payload metadata)."""

    key_id: str
    key: bytes

    def __repr__(self) -> str:
        return f"CodecKey(key_id={self.key_id!r})"


def fernet_keys(secrets_key: SecretStr) -> list[bytes]:
    """The raw 32-byte keys in SECRETS_KEY, current first."""
    entries = [entry.strip() for entry in secrets_key.get_secret_value().split(",") if entry.strip()]
    if not entries:
        raise SecretsKeyError("SECRETS_KEY is empty; set it to one or more Fernet keys separated by commas")
    keys = []
    for position, entry in enumerate(entries, start=1):
        try:
            raw = base64.urlsafe_b64decode(entry.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raw = b""
        if len(raw) != 32:
            raise SecretsKeyError(
                f"SECRETS_KEY entry {position} is not a Fernet key (urlsafe base64 of 32 bytes); "
                "generate one with `python -m security new-key`"
            )
        keys.append(raw)
    return keys


def vault_cipher(settings: Settings) -> MultiFernet:
    """Fernet over every configured key: encrypts with the current one, decrypts with any."""
    return MultiFernet([Fernet(base64.urlsafe_b64encode(raw)) for raw in fernet_keys(settings.secrets_key)])


def codec_keys(settings: Settings) -> list[CodecKey]:
    """The payload codec's keys, current first, each derived from one SECRETS_KEY entry with HKDF."""
    derived = []
    for raw in fernet_keys(settings.secrets_key):
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CODEC_KEY_INFO).derive(raw)
        derived.append(CodecKey(key_id=hashlib.sha256(key).hexdigest()[:16], key=key))
    return derived


def new_key() -> str:
    """A fresh key to put first in SECRETS_KEY."""
    return Fernet.generate_key().decode("ascii")
