"""Regression tests for what the hardening work changed in bgpwire/fsm and bgpwire/aio."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
from ipaddress import IPv4Address

import pytest

from bgpwire.aio import Listener, sockopts
from bgpwire.aio.driver import CLOSE_TIMEOUT
from bgpwire.errors import LocalProtocolError
from bgpwire.fsm import NotificationSent, PeerConfig, Session, State, Timer
from bgpwire.fsm.core import OPEN_HOLD_TIME
from tests.hardening import wire
from tests.hardening.arena import arena
from tests.waiting import wait_for


def state_of(session: Session) -> State:
    """Read through a call, so that the type checker does not narrow the state."""
    return session.state


def test_open_hold_time_bounds_the_wait_for_the_peers_open() -> None:
    config = PeerConfig(local_as=65001, peer_as=65002, router_id=IPv4Address("10.0.0.1"),
                        passive=True, open_hold_time=5.0)
    session = Session(config, now=100.0, rng=lambda: 0.5)
    session.start(100.0)
    session.connection_made(100.0)
    assert state_of(session) is State.OPEN_SENT
    assert session.timers[Timer.HOLD] == 105.0
    session.handle_timers(104.9)
    assert state_of(session) is State.OPEN_SENT
    session.handle_timers(105.0)
    assert state_of(session) is State.IDLE
    sent = [e.notification for e in session.next_events() if isinstance(e, NotificationSent)]
    assert [(n.code, n.subcode) for n in sent] == [(4, 0)]


def test_open_hold_time_defaults_to_four_minutes_and_must_be_positive() -> None:
    config = PeerConfig(local_as=65001, peer_as=65002, router_id=IPv4Address("10.0.0.1"))
    assert config.open_hold_time == OPEN_HOLD_TIME == 240.0
    with pytest.raises(LocalProtocolError, match=r"open_hold_time = 0 must be positive"):
        PeerConfig(local_as=65001, peer_as=65002, router_id=IPv4Address("10.0.0.1"),
                   open_hold_time=0)


async def signed_connect(port: int, password: str | None) -> bool:
    """Whether a connection from 127.0.0.2 (signed with ``password``) is accepted within 1 s;
    an unanswered SYN is retried by the kernel after 1 s, so 1 s is enough to see a refusal."""
    with socket.socket() as sock:
        sock.setblocking(False)
        sock.bind(("127.0.0.2", 0))
        if password is not None:
            sockopts.set_md5(sock, "127.0.0.1", password)
        try:
            async with asyncio.timeout(1):
                await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        except TimeoutError:
            return False
        return True


@pytest.mark.asyncio
async def test_a_password_registered_at_run_time_is_required_of_that_peer() -> None:
    if os.geteuid() != 0:
        reason = "TCP-MD5 keys need root (CAP_NET_ADMIN)"
        print(reason)
        pytest.skip(reason)
    listener = Listener(lambda address: None, "127.0.0.1", 0)  # accepted, then closed
    await listener.start()
    try:
        listener.set_md5_password("127.0.0.2", "right")
        assert not await signed_connect(listener.port, None)
        assert not await signed_connect(listener.port, "wrong")
        assert await signed_connect(listener.port, "right")
        listener.set_md5_password("127.0.0.2", None)
        listener.set_md5_password("127.0.0.2", None)  # removing twice is no error
        assert await signed_connect(listener.port, None)
    finally:
        await listener.close()


def live_transports() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, asyncio.Transport))


@pytest.mark.asyncio
async def test_a_closed_connection_is_not_kept_alive_by_its_abort_timer() -> None:
    """A connection closed after a NOTIFICATION used to stay referenced by the timer that
    aborts it should it not flush within CLOSE_TIMEOUT (10 s), long after it was gone."""
    async with arena() as place:
        before = live_transports()
        hostile = await place.hostile()
        await hostile.send(wire.message(7, b""))  # Bad Message Type: the speaker closes
        notification = await hostile.notification()
        assert (notification.code, notification.subcode) == (1, 3)
        await place.dismiss(hostile)
        del hostile  # its own transport, the client side
        await wait_for(lambda: live_transports() == before, timeout=CLOSE_TIMEOUT / 2)
