"""`python -m devstack` (what `make run` calls): the whole service on one machine until Ctrl-C.

Exit code 0 after Ctrl-C or SIGTERM; 1 when a part fails to start or dies while running (the rest are
stopped then).
"""

import asyncio
import logging
import signal

from devstack.banner import banner
from devstack.stack import DevStack, StartupFailed
from settings import Settings, get_settings

log = logging.getLogger("devstack")


async def supervise(settings: Settings) -> int:
    stack = DevStack(settings)
    main = asyncio.current_task()
    assert main is not None
    stopping = False

    def on_signal(signum: signal.Signals) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        log.info("%s received: stopping everything", signum.name)
        main.cancel()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await stack.start()
        print(banner(settings, stack.data_dir), flush=True)
        died = await stack.watch()
        log.error("%s exited unexpectedly with code %s; stopping the rest", died.name, died.exit_code)
        return 1
    except StartupFailed as failure:
        log.error("%s; stopping the rest", failure)
        return 1
    except asyncio.CancelledError:
        if not stopping:
            raise
        return 0
    finally:
        stopping = True
        await stack.stop()
        log.info("everything has stopped")


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="devstack %(levelname)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    raise SystemExit(asyncio.run(supervise(get_settings())))
