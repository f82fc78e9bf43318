"""Ports for a stack beside another: the workers' metrics ports stay clear of outgoing connections."""

import socket

from devstack.ports import all_free, free_port, free_port_block, is_free, outgoing_port_range


def test_ports_and_blocks_are_free_and_below_the_ports_outgoing_connections_take() -> None:
    lowest_outgoing = outgoing_port_range()[0]
    for _ in range(20):
        first = free_port_block(4)
        assert first + 4 <= lowest_outgoing
        assert all_free("127.0.0.1", range(first, first + 4))
        port = free_port()
        assert port < lowest_outgoing
        assert is_free("127.0.0.1", port)


def test_a_block_with_one_port_listened_on_is_not_free() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", free_port()))
        listener.listen()
        taken = listener.getsockname()[1]
        assert not all_free("127.0.0.1", range(taken - 1, taken + 2))
