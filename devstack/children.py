"""A child process of the stack, in its own process group so that stopping it stops everything it started."""

import asyncio
import logging
import os
import signal
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

log = logging.getLogger("devstack")


class ChildProcess:
    """One long-running part of the stack (dev server, sandbox, API, worker)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str | Path],
        env: dict[str, str],
        stop_timeout_s: float,
        *,
        overrides: dict[str, str] | None = None,
    ) -> None:
        """env is shared with the stack's other children (changes to it reach the next start); overrides are
        this child's own variables on top, such as a second worker's metrics port."""
        self.name = name
        self.argv = [str(part) for part in argv]
        self.env = env
        self.overrides = overrides or {}
        self.stop_timeout_s = stop_timeout_s
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError(f"{self.name} has not been started")
        return self._process.pid

    @property
    def exit_code(self) -> int | None:
        return None if self._process is None else self._process.returncode

    async def start(self) -> None:
        # A new session makes the child the leader of its own process group: the terminal's Ctrl-C reaches
        # only the supervisor, which then stops the children in order.
        self._process = await asyncio.create_subprocess_exec(
            *self.argv, env=self.env | self.overrides, start_new_session=True
        )

    async def wait(self) -> int:
        if self._process is None:
            raise RuntimeError(f"{self.name} has not been started")
        return await self._process.wait()

    async def stop(self) -> None:
        """SIGTERM to the whole group, SIGKILL if it has not exited in time; leaves no member of the group."""
        if self._process is None:
            return
        if self._process.returncode is None:
            _signal_group(self._process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self._process.wait(), self.stop_timeout_s)
            except TimeoutError:
                log.warning("%s did not stop within %.0f s; killing it", self.name, self.stop_timeout_s)
                _signal_group(self._process.pid, signal.SIGKILL)
                await self._process.wait()
        _signal_group(self._process.pid, signal.SIGKILL)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, signum)
