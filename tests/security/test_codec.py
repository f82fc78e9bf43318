import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from security.codec import ENCODING, KEY_ID_METADATA, EncryptionCodec, PayloadDecryptionError
from security.keys import codec_keys, new_key
from settings import Settings

SECRET_LOOKING = "user-api-key-5b1e9f0c2d7a"


def _codec(*keys: str) -> EncryptionCodec:
    return EncryptionCodec(codec_keys(Settings(secrets_key=SecretStr(",".join(keys)))))


def _payload(value: object) -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads([value])[0]


async def test_round_trip_hides_the_plaintext() -> None:
    codec = _codec(new_key())
    original = _payload({"company_id": "1001", "note": SECRET_LOOKING})

    (encoded,) = await codec.encode([original])
    assert encoded.metadata["encoding"] == ENCODING
    assert encoded.metadata[KEY_ID_METADATA] == codec.key_id.encode()
    assert SECRET_LOOKING.encode() not in encoded.SerializeToString()
    assert b"json/plain" not in encoded.SerializeToString()

    (decoded,) = await codec.decode([encoded])
    assert decoded == original


async def test_the_same_payload_encrypts_differently_each_time() -> None:
    codec = _codec(new_key())
    first, second = await codec.encode([_payload("x"), _payload("x")])
    assert first.data != second.data


async def test_payloads_from_before_a_rotation_still_decode() -> None:
    old, new = new_key(), new_key()
    (written_earlier,) = await _codec(old).encode([_payload("kept")])
    rotated = _codec(new, old)

    (decoded,) = await rotated.decode([written_earlier])
    assert pydantic_data_converter.payload_converter.from_payloads([decoded])[0] == "kept"
    (written_now,) = await rotated.encode([_payload("new")])
    assert written_now.metadata[KEY_ID_METADATA] == _codec(new).key_id.encode()


async def test_unknown_key_or_tampering_fails_clearly() -> None:
    (encoded,) = await _codec(new_key()).encode([_payload(SECRET_LOOKING)])
    with pytest.raises(PayloadDecryptionError, match="not in SECRETS_KEY"):
        await _codec(new_key()).decode([encoded])

    codec = _codec(new_key())
    (encoded,) = await codec.encode([_payload(SECRET_LOOKING)])
    tampered = Payload(
        metadata=dict(encoded.metadata), data=encoded.data[:-1] + bytes([encoded.data[-1] ^ 1])
    )
    with pytest.raises(PayloadDecryptionError, match="authentication") as raised:
        await codec.decode([tampered])
    assert SECRET_LOOKING not in str(raised.value)


async def test_unencrypted_payloads_pass_through_decode() -> None:
    plain = _payload("written before encryption was turned on")
    assert await _codec(new_key()).decode([plain]) == [plain]


def test_repr_names_the_key_id_only() -> None:
    codec = _codec(new_key())
    assert codec.key_id in repr(codec)
    assert "key=" not in repr(codec)
