"""The codec endpoint's logic for the Temporal UI and CLI (`/codec/encode`, `/codec/decode`, behind the
support token): protobuf JSON `{"payloads": [{"metadata": {...}, "data": "..."}]}` with base64 fields.

The API mounts these functions; keeping them free of HTTP lets them be tested without a server.
"""

from typing import Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payloads

from security.codec import EncryptionCodec
from settings import get_settings


class CodecRequestError(ValueError):
    """The request body is not a JSON Payloads message."""


def _payloads(body: dict[str, Any]) -> Payloads:
    if not isinstance(body, dict) or not isinstance(body.get("payloads", []), list):
        raise CodecRequestError(
            'the body must be a JSON object {"payloads": [{"metadata": {...}, "data": "..."}]}'
        )
    try:
        return json_format.ParseDict(body, Payloads())
    except json_format.ParseError:
        raise CodecRequestError(
            "the body is not a Payloads message: metadata values and data must be base64 strings"
        ) from None


def _body(payloads: Payloads) -> dict[str, Any]:
    # protobuf JSON leaves out empty lists, but the UI reads `payloads` from every answer.
    return {"payloads": [], **json_format.MessageToDict(payloads)}


def _codec(codec: EncryptionCodec | None) -> EncryptionCodec:
    return codec if codec is not None else EncryptionCodec.from_settings(get_settings())


async def encode_payloads(body: dict[str, Any], *, codec: EncryptionCodec | None = None) -> dict[str, Any]:
    """Encrypt the payloads in a codec-server request body."""
    encoded = await _codec(codec).encode(list(_payloads(body).payloads))
    return _body(Payloads(payloads=encoded))


async def decode_payloads(body: dict[str, Any], *, codec: EncryptionCodec | None = None) -> dict[str, Any]:
    """Decrypt the payloads in a codec-server request body (unencrypted ones pass unchanged)."""
    decoded = await _codec(codec).decode(list(_payloads(body).payloads))
    return _body(Payloads(payloads=decoded))
