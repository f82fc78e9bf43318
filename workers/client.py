"""The Temporal client every process of the service uses: one connection recipe for the worker and the API."""

from temporalio.client import Client
from temporalio.envconfig import ClientConfig
from temporalio.runtime import Runtime

from security.converter import data_converter
from settings import Settings


async def connect_temporal(settings: Settings, *, runtime: Runtime | None = None) -> Client:
    """Connect by the envconfig profile (TLS, API key, address); settings fill in what the profile leaves out.

    The same code reaches the dev server, a self-hosted cluster or Temporal Cloud by configuration alone.
    """
    config = ClientConfig.load_client_connect_config(profile=settings.temporal_profile or None)
    config.setdefault("target_host", settings.temporal_address)
    config.setdefault("namespace", settings.temporal_namespace)
    return await Client.connect(**config, data_converter=data_converter(settings), runtime=runtime)
