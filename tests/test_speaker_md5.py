"""TCP-MD5 (RFC 2385) on the speaker's listener: a peer configured with a password must sign.

Setting TCP_MD5SIG needs root (CAP_NET_ADMIN): without it the tests skip, saying so.
"""

from __future__ import annotations

import asyncio
import os
import socket
from ipaddress import IPv4Network

import pytest

from bgpwire.aio import TransportOptions, sockopts
from bgpwire.errors import LocalProtocolError
from bgpwire.speaker import Speaker
from tests.test_speaker import A_ADDR, A_AS, A_ID, B_ADDR, B_AS, a_spec_for

PASSWORD = "right"


def require_root() -> None:
    if os.geteuid() != 0:
        reason = "TCP-MD5 keys need root (CAP_NET_ADMIN)"
        print(reason)
        pytest.skip(reason)


async def connect_from_b(port: int, password: str | None) -> bool:
    """Whether a connection from B's address, signed with ``password``, is answered within
    1 s (the kernel drops an unsigned or wrongly signed SYN silently)."""
    sock = socket.socket()
    sock.setblocking(False)
    try:
        sock.bind((B_ADDR, 0))
        if password is not None:
            sockopts.set_md5(sock, A_ADDR, password)
        try:
            async with asyncio.timeout(1):
                await asyncio.get_running_loop().sock_connect(sock, (A_ADDR, port))
        except TimeoutError:
            return False
        return True
    finally:
        sock.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("before_start", [True, False])
async def test_the_listener_requires_the_peers_md5_signature(before_start: bool) -> None:
    require_root()
    speaker = Speaker(A_AS, A_ID, listen=[(A_ADDR, 0)])
    spec = a_spec_for(B_ADDR, B_AS, options=TransportOptions(md5_password=PASSWORD))
    if before_start:
        await speaker.add_peer(spec)
    await speaker.start()
    try:
        if not before_start:
            await speaker.add_peer(spec)
        port = speaker.listen_ports[0]
        assert not await connect_from_b(port, None)
        assert not await connect_from_b(port, "wrong")
        assert await connect_from_b(port, PASSWORD)
        await speaker.remove_peer(B_ADDR)  # the key goes with the peer
        assert await connect_from_b(port, None)
    finally:
        await speaker.close()


def test_a_range_template_with_a_password_is_refused() -> None:
    speaker = Speaker(A_AS, A_ID, listen=[(A_ADDR, 0)])
    template = a_spec_for("0.0.0.0", B_AS, options=TransportOptions(md5_password=PASSWORD))
    with pytest.raises(LocalProtocolError, match="md5_password cannot be required"):
        speaker.accept_range(IPv4Network("127.0.0.0/24"), template)
