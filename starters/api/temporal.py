"""The API's Temporal connection: made at startup if Temporal answers, else on the first request needing it.

The API starts even while Temporal is down (/healthz says 503) and recovers by itself once it is back.
"""

import asyncio
import logging
from datetime import timedelta

from fastapi import Request
from temporalio.client import Client
from temporalio.service import RPCError

from settings import Settings
from starters.api.errors import ApiError
from workers.client import connect_temporal

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = timedelta(seconds=5)
HEALTH_TIMEOUT = timedelta(seconds=3)


class TemporalUnavailable(ApiError):
    def __init__(self) -> None:
        super().__init__(
            503, "temporal_unavailable", "The service cannot reach Temporal right now; try again shortly."
        )


class TemporalConnection:
    """Owns the one client of the API process (held in `app.state.temporal`)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """The connected client; raises TemporalUnavailable (503) if Temporal cannot be reached."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await asyncio.wait_for(
                        connect_temporal(self._settings), CONNECT_TIMEOUT.total_seconds()
                    )
                except (RPCError, RuntimeError, TimeoutError) as error:
                    log.warning("temporal unreachable", extra={"error_type": type(error).__name__})
                    raise TemporalUnavailable() from error
            return self._client

    async def check(self) -> None:
        """Raise TemporalUnavailable unless Temporal answers a health check now."""
        client = await self.client()
        try:
            await client.service_client.check_health(timeout=HEALTH_TIMEOUT)
        except (RPCError, RuntimeError, TimeoutError) as error:
            raise TemporalUnavailable() from error


async def temporal_client(request: Request) -> Client:
    """Route dependency: `client: Annotated[Client, Depends(temporal_client)]`."""
    connection: TemporalConnection = request.app.state.temporal
    return await connection.client()
