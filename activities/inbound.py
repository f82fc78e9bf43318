"""The inbound activities, built from the worker's dependencies (for workers/registry.py)."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from activities.inbound_import import InboundImportActivities
from activities.inbound_queue import InboundQueueActivities
from clients.maventa_partner import partner_credentials
from workers.dependencies import Dependencies


def inbound_activities(dependencies: Dependencies) -> list[Callable[..., Any]]:
    settings = dependencies.settings
    queue = InboundQueueActivities(dependencies.maventa, dependencies.sessions, partner_credentials(settings))
    imports = InboundImportActivities(
        dependencies.maventa,
        dependencies.netvisor,
        dependencies.sessions,
        # Netvisor lists a Finvoice import about a minute after it (docs/facts/netvisor.md §4.1).
        recheck_after=timedelta(seconds=settings.inbound_recheck_after_s),
    )
    return [queue.read_received_queue, imports.import_received]
