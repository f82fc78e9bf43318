"""Calling the API's ASGI app directly, to see what it did with the request: how much of the body it took."""

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.types import Message

CHUNK = 64 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    body_bytes_taken: int = 0
    receive_calls: int = 0
    sent: list[Message] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    app: FastAPI,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    body_size: int = 0,
    declare_length: bool = True,
) -> Answer:
    """One request with `body`, or `body_size` bytes of filler, handed over in 64 KiB chunks on demand."""
    if body is not None:
        body_size = len(body)
    raw_headers = [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    raw_headers.append((b"content-type", b"application/json"))
    if declare_length:
        raw_headers.append((b"content-length", str(body_size).encode()))
    else:
        raw_headers.append((b"transfer-encoding", b"chunked"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8700),
    }
    answer = Answer(status=0, headers={}, body=b"")

    async def receive() -> Message:
        answer.receive_calls += 1
        start = answer.body_bytes_taken
        size = min(CHUNK, body_size - start)
        answer.body_bytes_taken += size
        chunk = body[start : start + size] if body is not None else b" " * size
        return {"type": "http.request", "body": chunk, "more_body": answer.body_bytes_taken < body_size}

    async def send(message: Message) -> None:
        answer.sent.append(message)
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    return answer
