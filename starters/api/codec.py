"""The codec endpoint for the Temporal UI and CLI (§10): `POST /codec/encode` and `/codec/decode`.

Behind the support token, because decoding shows payloads in clear. Use it from the CLI with
`temporal workflow show --codec-endpoint http://127.0.0.1:8700/codec --codec-auth "Bearer <support token>"`.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from security.codec import EncryptionCodec, PayloadDecryptionError
from security.codec_server import CodecRequestError, decode_payloads, encode_payloads
from starters.api.auth import support_caller
from starters.api.errors import ERROR_RESPONSES, ApiError
from starters.api.limits import CODEC_BODY_BYTES, body_limit

router = APIRouter(
    prefix="/codec", tags=["codec"], dependencies=[Depends(support_caller)], responses=ERROR_RESPONSES
)

PAYLOADS_PER_REQUEST = 1_000


class PayloadMessage(BaseModel):
    """One temporal.api.common.v1.Payload in protobuf JSON: base64 metadata values and data."""

    model_config = ConfigDict(extra="allow")

    metadata: dict[str, Annotated[str, Field(max_length=10_000)]] = Field(
        default_factory=dict, description="e.g. {'encoding': 'anNvbi9wbGFpbg=='} (base64 values)"
    )
    data: str = Field("", max_length=CODEC_BODY_BYTES, description="base64")


class PayloadsMessage(BaseModel):
    """The codec server's request and answer: `{"payloads": [...]}`."""

    model_config = ConfigDict(extra="forbid")

    payloads: list[PayloadMessage] = Field(default_factory=list, max_length=PAYLOADS_PER_REQUEST)


PayloadsBody = Annotated[
    PayloadsMessage,
    Body(examples=[{"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "eyJhIjoxfQ=="}]}]),
]
ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"model": PayloadsMessage, "description": "The payloads, encoded or decoded"}
}


def codec(request: Request) -> EncryptionCodec:
    """The API process's codec (its keys from SECRETS_KEY)."""
    made: EncryptionCodec = request.app.state.codec
    return made


async def encoded(body: PayloadsMessage, with_codec: EncryptionCodec) -> dict[str, Any]:
    try:
        return await encode_payloads(body.model_dump(exclude_unset=True), codec=with_codec)
    except CodecRequestError as error:
        raise ApiError(422, "invalid_payloads", f"Fix the body: {error}.") from None


async def decoded(body: PayloadsMessage, with_codec: EncryptionCodec) -> dict[str, Any]:
    try:
        return await decode_payloads(body.model_dump(exclude_unset=True), codec=with_codec)
    except (CodecRequestError, PayloadDecryptionError) as error:
        raise ApiError(422, "invalid_payloads", f"Fix the body: {error}.") from None


CodecDep = Annotated[EncryptionCodec, Depends(codec)]


@router.post("/encode", response_model=None, responses=ANSWER, openapi_extra=body_limit(CODEC_BODY_BYTES))
async def encode(body: PayloadsBody, with_codec: CodecDep) -> dict[str, Any]:
    return await encoded(body, with_codec)


@router.post("/decode", response_model=None, responses=ANSWER, openapi_extra=body_limit(CODEC_BODY_BYTES))
async def decode(body: PayloadsBody, with_codec: CodecDep) -> dict[str, Any]:
    return await decoded(body, with_codec)
