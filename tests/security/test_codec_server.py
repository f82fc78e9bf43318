import base64

import pytest
from pydantic import SecretStr

from security.codec import EncryptionCodec
from security.codec_server import CodecRequestError, decode_payloads, encode_payloads
from security.keys import codec_keys, new_key
from settings import Settings

SECRET_LOOKING = '"user-api-key-77aa"'


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture
def codec() -> EncryptionCodec:
    return EncryptionCodec(codec_keys(Settings(secrets_key=SecretStr(new_key()))))


async def test_ui_request_bodies_round_trip(codec: EncryptionCodec) -> None:
    body = {
        "payloads": [{"metadata": {"encoding": _b64(b"json/plain")}, "data": _b64(SECRET_LOOKING.encode())}]
    }

    encoded = await encode_payloads(body, codec=codec)
    (payload,) = encoded["payloads"]
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"binary/encrypted"
    assert SECRET_LOOKING.encode() not in base64.b64decode(payload["data"])

    assert await decode_payloads(encoded, codec=codec) == body


async def test_an_empty_request_answers_empty(codec: EncryptionCodec) -> None:
    assert await decode_payloads({"payloads": []}, codec=codec) == {"payloads": []}
    assert await encode_payloads({}, codec=codec) == {"payloads": []}


async def test_a_malformed_body_is_refused_with_a_reason(codec: EncryptionCodec) -> None:
    with pytest.raises(CodecRequestError, match="base64"):
        await decode_payloads({"payloads": [{"data": "%%% not base64"}]}, codec=codec)
    with pytest.raises(CodecRequestError, match="payloads"):
        await decode_payloads({"payloads": "nope"}, codec=codec)
