"""The store link (tests/recovery/store_link.py) ends a forwarded connection on both sides when one side goes,
as a real network does: a client killed in the middle of a transaction must not leave the store's side of its
connection open, holding the transaction's locks (a recovery run's API did so, and every later submission of
the invoice it was inserting waited on the row lock)."""

import asyncio
import socket
import struct

import pytest

from tests.recovery.store_link import Forwarder


@pytest.mark.parametrize("how", ["reset", "closed"])
async def test_a_client_gone_ends_its_connection_to_the_store(how: str) -> None:
    ended = asyncio.Event()

    async def store(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The store answers the client's first message and then waits on it, as PostgreSQL does with a
        # transaction open; unread, the answer makes the client's kernel reset the connection when it dies.
        await reader.read(5)
        writer.write(b"ANSWER")
        await writer.drain()
        while await reader.read(1024):
            pass
        ended.set()
        writer.close()

    target = await asyncio.start_server(store, "127.0.0.1", 0)
    forwarder = Forwarder("127.0.0.1", target.sockets[0].getsockname()[1])
    link = await asyncio.start_server(forwarder.serve, "127.0.0.1", 0)
    async with target, link:
        _, writer = await asyncio.open_connection("127.0.0.1", link.sockets[0].getsockname()[1])
        writer.write(b"BEGIN")
        await writer.drain()
        await asyncio.sleep(0.2)  # the store's answer is in the client's socket, unread
        if how == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

        await asyncio.wait_for(ended.wait(), timeout=10)
