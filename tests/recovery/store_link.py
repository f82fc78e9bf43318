"""The store's network link as an operator could cut it: a TCP forwarder before PostgreSQL, own process.

`python -m tests.recovery.store_link PORT TARGET_HOST TARGET_PORT` forwards 127.0.0.1:PORT to the target.
SIGUSR1 cuts it: every forwarded connection is aborted and new ones are closed as soon as they are accepted,
as when the database host is gone (clients fail at once, nothing hangs). SIGUSR2 restores it.
"""

import asyncio
import signal
import subprocess
import sys
from contextlib import suppress

from bench.harness import free_port

CHUNK = 65536


class Forwarder:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.up = True
        self._links: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()

    async def serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if not self.up:
            client_writer.transport.abort()
            return
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        link = (client_writer, server_writer)
        self._links.add(link)
        pipes = [
            asyncio.create_task(_pipe(client_reader, server_writer)),
            asyncio.create_task(_pipe(server_reader, client_writer)),
        ]
        try:
            # One side gone (closed or reset: a SIGKILLed client) ends the link for both. Waiting for both
            # pipes kept PostgreSQL's side of a killed client's connection open, so a transaction it had begun
            # held its row locks for good: a recovery run's API, killed between its insert and its commit,
            # left every later submission of that invoice waiting on the lock.
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._links.discard(link)
            for writer in link:
                writer.transport.abort()
            for pipe in pipes:
                pipe.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)

    def cut(self) -> None:
        self.up = False
        for link in list(self._links):
            for writer in link:
                writer.transport.abort()

    def restore(self) -> None:
        self.up = True


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with suppress(OSError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()


async def _main(port: int, target_host: str, target_port: int) -> None:
    forwarder = Forwarder(target_host, target_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, forwarder.cut)
    loop.add_signal_handler(signal.SIGUSR2, forwarder.restore)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    server = await asyncio.start_server(forwarder.serve, "127.0.0.1", port)
    print("forwarding", flush=True)
    async with server:
        await stop.wait()
        forwarder.cut()


class StoreLink:
    """The forwarder as the tests drive it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.port = free_port()
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.recovery.store_link",
                str(self.port),
                target_host,
                str(target_port),
            ],
            stdout=subprocess.PIPE,
        )
        assert self._process.stdout is not None
        assert self._process.stdout.readline().strip() == b"forwarding", "the store link did not start"

    def cut(self) -> None:
        self._process.send_signal(signal.SIGUSR1)

    def restore(self) -> None:
        self._process.send_signal(signal.SIGUSR2)

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(10)


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3])))
