"""Refuses request bodies over the configured size with 413, before the route reads them into memory."""

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from starters.api.errors import http_error_response


class BodyLimitMiddleware:
    """Checks Content-Length up front and counts streamed (chunked) bodies as they arrive."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await http_error_response(413)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            # Raised inside the route's body read, so FastAPI's handlers answer it in the error format.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413)
            return message

        await self.app(scope, counting_receive, send)
