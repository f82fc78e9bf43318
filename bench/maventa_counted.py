"""`python -m bench.maventa_counted`: the Maventa sandbox, counting the API requests it answers.

The month-start burst needs the rate Maventa actually saw and every 429 it gave, measured where they happen;
`GET /_sandbox/bench/requests` reports them (under the controls' prefix, which the sandbox's contract check
lets through as not Maventa's API). Everything else is `python -m sandbox.maventa`.
"""

import time
from collections import Counter
from collections.abc import Awaitable, Callable

import uvicorn
from fastapi import FastAPI, Request, Response

from sandbox.maventa import MaventaSandboxConfig, create_app
from sandbox.maventa.faults import API_PREFIXES
from settings import get_settings


class RequestCounter:
    def __init__(self) -> None:
        self.by_status: Counter[int] = Counter()
        self.limited_at: list[float] = []
        self.answered_at: list[float] = []
        self.first: float | None = None
        self.last: float | None = None

    async def count(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if request.url.path.startswith(API_PREFIXES):
            now = time.time()
            self.first = self.first or now
            self.last = now
            self.by_status[response.status_code] += 1
            if response.status_code == 429:
                self.limited_at.append(now)
            elif response.status_code < 400:
                self.answered_at.append(now)
        return response

    def report(self) -> dict[str, object]:
        return {
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "limited_at": self.limited_at,
            "answered_at": self.answered_at,
            "first": self.first,
            "last": self.last,
        }

    def reset(self) -> None:
        self.by_status.clear()
        self.limited_at.clear()
        self.answered_at.clear()
        self.first = self.last = None


def counted_app(config: MaventaSandboxConfig) -> FastAPI:
    app = create_app(config)
    counter = RequestCounter()
    app.middleware("http")(counter.count)
    app.get("/_sandbox/bench/requests")(counter.report)
    app.delete("/_sandbox/bench/requests")(counter.reset)
    return app


def main() -> None:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{settings.data_dir / 'maventa-sandbox.db'}"
    app = counted_app(MaventaSandboxConfig.from_settings(settings, database_url))
    uvicorn.run(app, host=settings.bind_host, port=settings.maventa_sandbox_port, log_level="warning")


if __name__ == "__main__":
    main()
