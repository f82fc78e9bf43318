"""The service's Temporal data converter: pydantic payloads encrypted by the codec, failure messages too."""

import dataclasses

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from security.codec import EncryptionCodec
from settings import Settings


def data_converter(settings: Settings) -> DataConverter:
    """The converter every client and worker of the service uses (all must agree on it).

    Failure messages and stack traces are moved into the encoded attributes so that error text from HTTP
    clients (URLs, response bodies) is encrypted like any other payload.
    """
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec.from_settings(settings),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )
