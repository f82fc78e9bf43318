"""The Temporal payload codec: every payload (inputs, results, heartbeats, failures) AES-256-GCM encrypted.

The Temporal server, its database and the UI then hold ciphertext only; the key id in each payload's metadata
lets payloads written before a key rotation still be read while the old key stays configured.
"""

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from security.keys import CodecKey, codec_keys
from settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class PayloadDecryptionError(ValueError):
    """A payload cannot be decrypted with the configured keys."""


class EncryptionCodec(PayloadCodec):
    """Encrypts with the current key; decrypts with whichever configured key a payload names."""

    def __init__(self, keys: Sequence[CodecKey]) -> None:
        if not keys:
            raise ValueError("the payload codec needs at least one key")
        self._current = keys[0]
        self._ciphers = {key.key_id: AESGCM(key.key) for key in keys}

    @classmethod
    def from_settings(cls, settings: Settings) -> "EncryptionCodec":
        return cls(codec_keys(settings))

    @property
    def key_id(self) -> str:
        return self._current.key_id

    def __repr__(self) -> str:
        return f"EncryptionCodec(key_id={self.key_id!r}, keys={len(self._ciphers)})"

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(payload) for payload in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        key_id = self.key_id.encode("ascii")
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self.key_id].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id}, data=nonce + sealed)

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode("ascii", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(
                f"payload was encrypted with key id {key_id!r}, which is not in SECRETS_KEY; "
                "put the key it was written with back in the list"
            )
        if len(payload.data) < _NONCE_BYTES + _TAG_BYTES:
            raise PayloadDecryptionError(
                f"payload encrypted with key id {key_id!r} is {len(payload.data)} bytes, shorter than any "
                "encrypted payload"
            )
        try:
            plain = cipher.decrypt(
                payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:], key_id.encode("ascii")
            )
        except InvalidTag:
            raise PayloadDecryptionError(
                f"payload encrypted with key id {key_id!r} failed authentication"
            ) from None
        decoded = Payload()
        decoded.ParseFromString(plain)
        return decoded
