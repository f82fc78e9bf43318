"""`python -m workers`: the worker process, stopped gracefully by SIGTERM or SIGINT: it stops taking work,
running activities get WORKER_GRACEFUL_SHUTDOWN_S to finish, and those still running then are cancelled and
handed back at once for another worker to retry (tests/workers/test_graceful_stop.py)."""

import asyncio
import signal
import sys

from observability.redaction import setting_secrets
from settings import Settings, get_settings
from settings.safety import UnsafeSettings
from workers.logs import configure_logging
from workers.main import run_worker
from workers.metrics import WorkerMetrics


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run_worker(settings, stop=stop, metrics=WorkerMetrics(settings))


if __name__ == "__main__":
    settings = get_settings()
    configure_logging(settings.log_level, secrets=setting_secrets(settings))
    try:
        asyncio.run(serve(settings))
    except UnsafeSettings as unsafe:
        print(unsafe, file=sys.stderr)
        raise SystemExit(2) from None
