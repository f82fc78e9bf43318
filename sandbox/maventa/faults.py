"""Injected faults on the Maventa API (never on /_sandbox): server errors at a rate, rate limiting, latency.

Maventa documents no rate limit (docs/facts/maventa.md §3); the 429 with Retry-After is the sandbox's way to
exercise a client's back-off.
"""

import asyncio
import math
import random
import time
from collections import deque

from fastapi import Response
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.maventa.errors import INTERNAL_ERROR, TOO_MANY_REQUESTS, error_response

API_PREFIXES = ("/v1/", "/oauth2/")


class FaultSettings(BaseModel):
    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    status: int = Field(503, ge=500, le=599)
    latency_ms: int = Field(0, ge=0)
    rate_limit_per_s: float | None = Field(None, gt=0)
    paths: list[str] | None = None


class FaultInjector:
    def __init__(self) -> None:
        self.settings = FaultSettings()
        self._recent: deque[float] = deque()
        self._random = random.Random()

    def set(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._recent.clear()

    def clear(self) -> None:
        self.set(FaultSettings())

    def _applies_to(self, path: str) -> bool:
        if not path.startswith(API_PREFIXES):
            return False
        prefixes = self.settings.paths
        return prefixes is None or any(path.startswith(p) for p in prefixes)

    def _retry_after_s(self) -> int | None:
        """Seconds until a request fits under the limit again, or None when it fits now."""
        limit = self.settings.rate_limit_per_s
        if limit is None:
            return None
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= limit:
            return max(1, math.ceil(1.0 - (now - self._recent[0])))
        self._recent.append(now)
        return None

    async def refusal(self, path: str) -> Response | None:
        """The injected answer for a request to `path` (after any injected latency), or None to answer it."""
        if not self._applies_to(path):
            return None
        retry_after = self._retry_after_s()
        if retry_after is not None:
            return error_response(
                429, TOO_MANY_REQUESTS, "Too many requests", headers={"Retry-After": str(retry_after)}
            )
        if self.settings.latency_ms:
            await asyncio.sleep(self.settings.latency_ms / 1000)
        if self._random.random() < self.settings.error_rate:
            return error_response(
                self.settings.status, INTERNAL_ERROR, "Service unavailable, please try again later"
            )
        return None


class FaultInjection:
    """The injector as plain ASGI middleware, for the reason the contract check is one
    (sandbox/maventa/contract.py)."""

    def __init__(self, app: ASGIApp, faults: FaultInjector) -> None:
        self._app = app
        self._faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = await self._faults.refusal(scope["path"]) if scope["type"] == "http" else None
        if refusal is None:
            await self._app(scope, receive, send)
        else:
            await refusal(scope, receive, send)
