"""The codec endpoint for the Temporal UI and CLI (SPEC §10): `POST /codec/encode` and `/codec/decode`.

Behind the support token, because decoding shows payloads in clear. Use it from the CLI with
`temporal workflow show --codec-endpoint http://127.0.0.1:8700/codec --codec-auth "Bearer <support token>"`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request

from security.codec import EncryptionCodec, PayloadDecryptionError
from security.codec_server import CodecRequestError, decode_payloads, encode_payloads
from starters.api.auth import support_caller
from starters.api.errors import ApiError

router = APIRouter(prefix="/codec", tags=["codec"], dependencies=[Depends(support_caller)])

PayloadsBody = Annotated[
    dict[str, Any],
    Body(examples=[{"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "eyJhIjoxfQ=="}]}]),
]


def _codec(request: Request) -> EncryptionCodec:
    codec: EncryptionCodec = request.app.state.codec
    return codec


@router.post("/encode")
async def encode(request: Request, body: PayloadsBody) -> dict[str, Any]:
    try:
        return await encode_payloads(body, codec=_codec(request))
    except CodecRequestError as error:
        raise ApiError(422, "invalid_payloads", f"Fix the body: {error}.") from None


@router.post("/decode")
async def decode(request: Request, body: PayloadsBody) -> dict[str, Any]:
    try:
        return await decode_payloads(body, codec=_codec(request))
    except (CodecRequestError, PayloadDecryptionError) as error:
        raise ApiError(422, "invalid_payloads", f"Fix the body: {error}.") from None
