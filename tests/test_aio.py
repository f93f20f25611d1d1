"""The asyncio speaker over real loopback sockets: bgpwire talking to bgpwire or to a raw peer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network
from typing import Any, TypeVar

import pytest

from bgpwire import ASPath, NextHop, Origin, OriginCode, pack_announcements
from bgpwire.aio import Listener, PeerSession, TransportOptions, sockopts
from bgpwire.constants import CeaseSubcode, ErrorCode
from bgpwire.context import Negotiated
from bgpwire.errors import LocalProtocolError
from bgpwire.framer import Framer
from bgpwire.fsm import (
    Event,
    NotificationReceived,
    NotificationSent,
    PeerConfig,
    SessionDown,
    State,
    UpdateReceived,
    UpdateRunReceived,
    build_open,
)
from bgpwire.messages import Keepalive, Message, Notification, Update, decode
from bgpwire.rib import AdjRibIn
from tests.waiting import wait_for

E = TypeVar("E", bound=Event)
CTX = Negotiated(four_octet_as=True)
A_ID, B_ID = IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2")
PLAIN = TransportOptions()


def config(local_as: int, peer_as: int, router_id: IPv4Address, **overrides: Any) -> PeerConfig:
    return PeerConfig(local_as=local_as, peer_as=peer_as, router_id=router_id, jitter=False,
                      connect_retry_time=1.0, idle_hold_time=0.5, **overrides)


def active_config(**overrides: Any) -> PeerConfig:
    return config(65001, 65002, A_ID, **overrides)


def passive_config(**overrides: Any) -> PeerConfig:
    return config(65002, 65001, B_ID, passive=True, **overrides)


def an_update(prefix: str = "198.51.100.0/24") -> Update:
    attributes = (Origin(OriginCode.IGP), ASPath.from_asns([65001]),
                  NextHop(IPv4Address("192.0.2.1")))
    return pack_announcements(attributes, [IPv4Network(prefix)], CTX)[0]


async def next_event(peer: PeerSession, kind: type[E], timeout: float = 10.0,
                     where: Callable[[E], bool] = lambda event: True) -> E:
    async with asyncio.timeout(timeout):
        async for event in peer.events():
            if isinstance(event, kind) and where(event):
                return event
    raise AssertionError(f"the events ended without a {kind.__name__}")


@contextlib.asynccontextmanager
async def peering(host: str = "127.0.0.1", *, source: str | None = None,
                  active: TransportOptions = PLAIN,
                  passive: TransportOptions = PLAIN,
                  ) -> AsyncIterator[tuple[PeerSession, PeerSession, Listener]]:
    """An active session connecting to a passive one behind a Listener on ``host``, port 0."""
    passive_side = PeerSession(passive_config(), source or host, passive)
    listener = Listener({passive_side.peer_address: passive_side}, host, 0)
    await listener.start()
    active_side = PeerSession(active_config(), host, replace(active, remote_port=listener.port))
    try:
        await passive_side.start()
        await active_side.start()
        yield active_side, passive_side, listener
    finally:
        await active_side.stop()
        await passive_side.stop()
        await listener.close()


async def exchange_update(sender: PeerSession, receiver: PeerSession, prefix: str) -> None:
    await sender.wait_established(10)
    sender.send_update(an_update(prefix))
    received = await next_event(receiver, UpdateReceived)
    assert list(received.update.nlri) == [IPv4Network(prefix)]


class RawPeer:
    """A hand-driven BGP speaker on a plain stream: it says what the test tells it to."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.framer = Framer()

    @classmethod
    async def connect(cls, port: int, hold_time: int = 90) -> RawPeer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        peer = cls(reader, writer)
        writer.write(build_open(active_config(hold_time=hold_time)).encode()
                     + Keepalive().encode())
        await writer.drain()
        return peer

    async def read_until(self, kind: type[Message], timeout: float = 10.0) -> Message:
        async with asyncio.timeout(timeout):
            while True:
                data = await self.reader.read(65536)
                assert data, f"connection closed before a {kind.__name__}"
                for raw in self.framer.feed(data):
                    message = decode(raw, CTX)
                    if isinstance(message, kind):
                        return message

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


def has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


# --- sessions between two bgpwire speakers -------------------------------------------------


@pytest.mark.asyncio
async def test_active_connects_to_passive_and_an_update_arrives() -> None:
    async with peering() as (active, passive, _):
        negotiation = await active.wait_established(10)
        assert negotiation.peer_as == 65002
        await passive.wait_established(10)
        assert passive.remote_address is not None
        assert passive.remote_address[0] == "127.0.0.1"
        await exchange_update(active, passive, "198.51.100.0/24")
        await exchange_update(passive, active, "203.0.113.0/24")


@pytest.mark.asyncio
async def test_the_source_address_is_bound_and_seen_by_the_listener() -> None:
    async with peering(source="127.0.0.2",
                       active=TransportOptions(local_address="127.0.0.2")) as (active, passive, _):
        await passive.wait_established(10)
        assert passive.remote_address is not None
        assert passive.remote_address[0] == "127.0.0.2"
        assert active.local_address is not None
        assert active.local_address[0] == "127.0.0.2"


def test_binding_an_address_not_on_this_host_is_a_clear_error() -> None:
    with socket.socket() as sock, pytest.raises(LocalProtocolError) as caught:
        sockopts.bind_source(sock, "192.0.2.55")
    assert str(caught.value) == (
        "local_address 192.0.2.55: not an address of this host (use freebind to bind anyway)")
    assert isinstance(caught.value.__cause__, OSError)
    options = TransportOptions(local_address="192.0.2.55", freebind=True)
    with sockopts.connecting_socket("127.0.0.1", options) as sock:
        assert sock.getsockname()[0] == "192.0.2.55"


@pytest.mark.asyncio
async def test_start_reports_a_source_address_it_cannot_bind() -> None:
    peer = PeerSession(active_config(), "127.0.0.1", TransportOptions(local_address="192.0.2.55"))
    with pytest.raises(LocalProtocolError, match=r"local_address 192\.0\.2\.55"):
        await peer.start()
    assert peer.state is State.IDLE


def test_ttl_and_gtsm_options_reach_the_socket() -> None:
    with socket.socket() as sock:
        sockopts.set_gtsm(sock, "127.0.0.1", 2)
        assert sock.getsockopt(socket.IPPROTO_IP, socket.IP_TTL) == 255
        assert sock.getsockopt(socket.IPPROTO_IP, sockopts.IP_MINTTL) == 254
    with socket.socket(socket.AF_INET6) as sock:
        sockopts.set_ttl(sock, "2001:db8::1", 7)
        assert sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS) == 7
    with pytest.raises(LocalProtocolError, match="gtsm_hops"):
        TransportOptions(ttl=5, gtsm_hops=1)


@pytest.mark.asyncio
async def test_gtsm_on_both_sides_of_a_loopback_session() -> None:
    gtsm = TransportOptions(gtsm_hops=1)
    async with peering(active=gtsm, passive=gtsm) as (active, passive, _):
        await active.wait_established(10)
        await exchange_update(active, passive, "198.51.100.0/24")


@pytest.mark.asyncio
async def test_ipv6_loopback() -> None:
    if not has_ipv6_loopback():
        pytest.skip("this host has no ::1")
    async with peering("::1") as (active, passive, _):
        await passive.wait_established(10)
        assert passive.remote_address is not None
        assert passive.remote_address[0] == "::1"
        await exchange_update(active, passive, "198.51.100.0/24")


@pytest.mark.asyncio
async def test_an_ipv4_peer_on_an_ipv6_listener_is_found_by_its_ipv4_address() -> None:
    if not has_ipv6_loopback():
        pytest.skip("this host has no IPv6")
    async with peering("::ffff:127.0.0.1", source="127.0.0.1") as (_, passive, _):
        await passive.wait_established(10)
        assert passive.remote_address is not None
        assert passive.remote_address[0] == "127.0.0.1"


@pytest.mark.asyncio
async def test_a_connection_from_an_unknown_peer_is_refused() -> None:
    known = PeerSession(passive_config(), "127.0.0.2")
    listener = Listener({"127.0.0.2": known}, "127.0.0.1", 0)
    await listener.start()
    await known.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        async with asyncio.timeout(5):
            assert await reader.read(100) == b""
        writer.close()
        assert listener.refused == 1
        assert known.state is State.ACTIVE
        assert known.remote_address is None
    finally:
        await known.stop()
        await listener.close()


@pytest.mark.asyncio
async def test_a_clean_stop_sends_the_shutdown_communication() -> None:
    async with peering() as (active, passive, _):
        await passive.wait_established(10)
        await active.stop("maintenance window")
        assert active.state is State.IDLE
        assert active.remote_address is None
        received = await next_event(passive, NotificationReceived)
        notification = received.notification
        assert (notification.code, notification.subcode) == (
            ErrorCode.CEASE, CeaseSubcode.ADMINISTRATIVE_SHUTDOWN)
        assert notification.shutdown_communication == "maintenance window"
        await next_event(passive, SessionDown)


@pytest.mark.asyncio
async def test_abort_drops_the_connection_without_a_notification() -> None:
    async with peering() as (active, passive, _):
        await passive.wait_established(10)
        active.abort()
        down = await next_event(passive, SessionDown)
        assert down.notification_received is None and down.notification_sent is None
        mine = await next_event(active, SessionDown)
        assert mine.notification_sent is None


def require_root() -> None:
    if os.geteuid() != 0:
        reason = "TCP-MD5 keys need root (CAP_NET_ADMIN)"
        print(reason)
        pytest.skip(reason)


@pytest.mark.asyncio
async def test_tcp_md5_with_the_same_password_establishes() -> None:
    require_root()
    md5 = TransportOptions(md5_password="s3cret")
    async with peering(active=md5, passive=md5) as (active, passive, listener):
        await active.wait_established(10)
        await exchange_update(active, passive, "198.51.100.0/24")
        # The listener requires the signature: an unsigned SYN from the peer goes unanswered.
        with socket.socket() as unsigned:
            unsigned.setblocking(False)
            unsigned.bind(("127.0.0.1", 0))
            loop = asyncio.get_running_loop()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(1):
                    await loop.sock_connect(unsigned, ("127.0.0.1", listener.port))


@pytest.mark.asyncio
async def test_tcp_md5_with_different_passwords_stays_down() -> None:
    require_root()
    async with peering(active=TransportOptions(md5_password="wrong", connect_timeout=0.5),
                       passive=TransportOptions(md5_password="s3cret")) as (active, passive, _):
        with pytest.raises(TimeoutError):
            await active.wait_established(3)
        assert passive.state is not State.ESTABLISHED
        assert passive.remote_address is None
        assert isinstance(active.last_error, OSError)


# --- against a raw peer ----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def behind_listener(peer: PeerSession) -> AsyncIterator[Listener]:
    listener = Listener({"127.0.0.1": peer}, "127.0.0.1", 0)
    await listener.start()
    await peer.start()
    try:
        yield listener
    finally:
        await peer.stop()
        await listener.close()


@pytest.mark.asyncio
async def test_a_silent_peer_ends_with_hold_timer_expired() -> None:
    session = PeerSession(passive_config(hold_time=3), "127.0.0.1")
    async with behind_listener(session) as listener:
        raw = await RawPeer.connect(listener.port, hold_time=3)
        try:
            await session.wait_established(10)
            sent = await next_event(session, NotificationSent, timeout=10)
            assert sent.notification.code == ErrorCode.HOLD_TIMER_EXPIRED
            notification = await raw.read_until(Notification)
            assert isinstance(notification, Notification)
            assert notification.code == ErrorCode.HOLD_TIMER_EXPIRED
            assert session.state is not State.ESTABLISHED
        finally:
            await raw.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("update_runs", [False, True])
async def test_a_flooding_peer_is_paused_and_other_peers_keep_working(update_runs: bool) -> None:
    """With ``update_runs`` the bound counts a run once per UPDATE in it, so the same number
    of UPDATEs wait at most."""
    bound = 64
    flooded = PeerSession(passive_config(), "127.0.0.1", max_queued_events=bound,
                          update_runs=update_runs)
    async with behind_listener(flooded) as listener:
        raw = await RawPeer.connect(listener.port)
        await flooded.wait_established(10)
        chunk = an_update().encode(CTX) * 4096

        async def flood() -> None:
            while True:  # far more than the kernel's socket buffers hold
                raw.writer.write(chunk)
                await raw.writer.drain()

        flooding = asyncio.create_task(flood())
        try:
            await wait_for(lambda: flooded.reading_paused)
            async with peering() as (active, passive, _):
                await passive.wait_established(10)
                await exchange_update(active, passive, "203.0.113.0/24")
            assert flooded.reading_paused
            assert flooded.peak_queued_events <= bound
            held = [len(event.updates) if isinstance(event, UpdateRunReceived) else 1
                    for event in flooded._queue]  # what the queue holds, counted apart
            assert sum(held) == flooded.queued_events
            # What waits, cut into messages, in the session: at most one read (asyncio reads
            # 256 KiB at most), however much the peer has sent.
            waiting = flooded.session.waiting_messages
            assert waiting > 0 and waiting * len(an_update().encode(CTX)) <= 256 * 1024
            assert not flooding.done()
            updates = runs = 0
            async with asyncio.timeout(10):
                async for event in flooded.events():
                    if isinstance(event, UpdateRunReceived):
                        runs += 1
                        updates += len(event.updates)
                    updates += isinstance(event, UpdateReceived)
                    assert flooded.queued_events <= bound
                    if updates >= 5 * bound:
                        break
            assert flooded.peak_queued_events <= bound
            assert (runs > 0) == update_runs
            assert flooded.state is State.ESTABLISHED
        finally:
            flooding.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await flooding
            raw.writer.transport.abort()  # megabytes are still queued for the paused reader


@pytest.mark.asyncio
@pytest.mark.parametrize("update_runs", [False, True])
async def test_a_busy_session_keeps_sending_keepalives_and_stays_up(update_runs: bool) -> None:
    """A peer streams UPDATEs (with its own KEEPALIVEs among them) for longer than the hold
    time, faster than the program applies them to a table: bgpwire keeps sending its
    KEEPALIVEs on time (hold time 3 s, one a second), so the peer never goes more than a hold
    time without hearing from it, and its own hold timer never fires."""
    hold, seconds = 3, 4.5
    session = PeerSession(passive_config(hold_time=hold), "127.0.0.1", max_queued_events=256,
                          update_runs=update_runs)
    rib = AdjRibIn(65002)
    async with behind_listener(session) as listener:
        raw = await RawPeer.connect(listener.port, hold_time=hold)
        await session.wait_established(10)
        loop = asyncio.get_running_loop()
        start = loop.time()
        heard: list[float] = []  # when the peer read each KEEPALIVE from bgpwire
        updates = [an_update(f"10.{i >> 8}.{i & 255}.0/24").encode(CTX) for i in range(4096)]

        async def stream() -> None:
            last_keepalive = start
            while loop.time() - start < seconds:
                raw.writer.write(b"".join(updates))
                if loop.time() - last_keepalive >= 1.0:
                    raw.writer.write(Keepalive().encode())
                    last_keepalive = loop.time()
                await raw.writer.drain()

        async def listen() -> None:
            while True:
                data = await raw.reader.read(65536)
                if not data:
                    return
                for message in raw.framer.feed(data):
                    if isinstance(decode(message, CTX), Keepalive):
                        heard.append(loop.time())

        streaming = asyncio.create_task(stream())
        listening = asyncio.create_task(listen())
        applied = 0
        try:
            async with asyncio.timeout(seconds + 10):
                async for event in session.events():
                    if isinstance(event, UpdateRunReceived):
                        rib.apply_all(event.updates)
                        applied += len(event.updates)
                    elif isinstance(event, UpdateReceived):
                        batch = [event.update, *session.take_updates()]
                        rib.apply_all(batch)
                        applied += len(batch)
                    assert not isinstance(event, (SessionDown, NotificationSent)), event
                    if streaming.done():
                        break
            await streaming  # raises what the stream met, if anything
            assert session.state is State.ESTABLISHED
            assert session.peak_queued_events >= 200  # the program was the bottleneck
            assert applied > 10 * len(updates)
            during = [moment for moment in heard if moment > start]
            assert len(during) >= 3, during
            gaps = [later - earlier for earlier, later in
                    zip([start, *during], during, strict=False)]
            assert max(gaps) < hold, gaps
        finally:
            streaming.cancel()
            listening.cancel()
            for task in (streaming, listening):
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await task
            raw.writer.transport.abort()


@pytest.mark.asyncio
async def test_a_connection_collision_keeps_one_connection_on_both_sides() -> None:
    """Both sides connect at once; RFC 4271 §6.8 keeps the connection B (higher id) opened."""
    a = PeerSession(config(65001, 65002, A_ID), "127.0.0.2")
    b = PeerSession(config(65002, 65001, B_ID), "127.0.0.1")
    listen_a = Listener({"127.0.0.2": a}, "127.0.0.1", 0)
    listen_b = Listener({"127.0.0.1": b}, "127.0.0.2", 0)
    await listen_a.start()
    await listen_b.start()
    a.options = TransportOptions(local_address="127.0.0.1", remote_port=listen_b.port)
    b.options = TransportOptions(local_address="127.0.0.2", remote_port=listen_a.port)
    try:
        await asyncio.gather(a.start(), b.start())
        await a.wait_established(10)
        await b.wait_established(10)
        await exchange_update(a, b, "198.51.100.0/24")
        assert a.local_address == b.remote_address
        assert a.remote_address == b.local_address
        assert b.session.outbound and not a.session.outbound
        assert b.remote_address is not None
        assert b.remote_address[1] == listen_a.port
    finally:
        await a.stop()
        await b.stop()
        await listen_a.close()
        await listen_b.close()


@pytest.mark.asyncio
async def test_take_updates_hands_over_the_updates_queued_behind_one_in_order() -> None:
    session = PeerSession(passive_config(), "127.0.0.1")
    sent = [an_update(f"198.51.100.{i}/32") for i in range(20)]
    async with behind_listener(session) as listener:
        raw = await RawPeer.connect(listener.port)
        await session.wait_established(10)
        raw.writer.write(b"".join(update.encode(CTX) for update in sent))
        await raw.writer.drain()
        got: list[Update] = []
        batches: list[int] = []
        async with asyncio.timeout(10):
            async for event in session.events():
                if isinstance(event, UpdateReceived):
                    taken = session.take_updates(limit=4)
                    batches.append(len(taken))
                    got += [event.update, *taken]
                    if len(got) >= len(sent):
                        break
        assert [update.nlri for update in got] == [update.nlri for update in sent]
        assert max(batches) == 4 and sum(batches) == len(sent) - len(batches)  # taken, at most 4
        assert session.take_updates() == [] and session.queued_events == 0
        await raw.close()


@pytest.mark.asyncio
async def test_a_run_counts_in_the_queue_once_per_update_it_holds() -> None:
    session = PeerSession(passive_config(), "127.0.0.1", update_runs=True)
    sent = [an_update(f"198.51.100.{i}/32") for i in range(20)]
    async with behind_listener(session) as listener:
        raw = await RawPeer.connect(listener.port)
        await session.wait_established(10)
        before = session.queued_events  # the state changes so far, not read yet
        raw.writer.write(b"".join(update.encode(CTX) for update in sent))
        await raw.writer.drain()
        await wait_for(lambda: session.queued_events >= before + len(sent))
        assert session.queued_events == before + len(sent) == session.peak_queued_events
        got: list[Update] = []
        async with asyncio.timeout(10):
            async for event in session.events():
                if isinstance(event, UpdateRunReceived):
                    got += event.updates
                    if len(got) == len(sent):
                        break
        assert got == [decode(update.encode(CTX), CTX) for update in sent]
        assert session.queued_events == 0 and session.update_runs
        await raw.close()
