"""Hostile peers against a bgpwire Speaker on loopback, each with short timers.

Each test checks that the hostile session ends the way a router ends it (hold timer, Cease,
refusal), that what the speaker holds for it stays bounded, and that the well-behaved peer of
the same speaker keeps its session and its route.
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import struct
from ipaddress import IPv4Network

import pytest

from bgpwire.aio import PeerSession, TransportOptions, sockopts
from bgpwire.families import IPV4_UNICAST
from bgpwire.framer import Framer
from bgpwire.fsm import State
from bgpwire.messages import Notification, Open, decode
from bgpwire.speaker import PeerUp
from tests.hardening import wire
from tests.hardening.arena import (
    GOOD_ADDR,
    HOSTILE_ADDR,
    HOSTILE_AS,
    HOSTILE_HOP,
    READ_CTX,
    TARGET_ADDR,
    Arena,
    Hostile,
    arena,
    hostile_config,
    open_fds,
)
from tests.waiting import wait_for

H = HOSTILE_HOP
SHORT_OPEN_WAIT = {"open_hold_time": 1.0}


def rss_kib() -> int:
    """The current resident set size of this process, in KiB (from /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() // 1024


def good_session_of(place: Arena) -> PeerSession:
    session = place.target.speaker.session(GOOD_ADDR)
    assert session is not None
    return session


@pytest.mark.asyncio
async def test_a_peer_that_never_sends_open_is_ended_by_the_open_hold_timer() -> None:
    """RFC 4271 §8.2.2: in OpenSent the HoldTimer runs (4 minutes by default, 1 s here);
    when it expires: NOTIFICATION Hold Timer Expired, and the connection is closed."""
    async with arena(hostile_config_overrides=SHORT_OPEN_WAIT) as place:
        good = good_session_of(place)
        baseline = place.footprint()
        hostile = await place.hostile()
        opened = await hostile.next_message()
        assert isinstance(opened, Open)

        notification = await hostile.notification()

        assert (notification.code, notification.subcode) == (4, 0)
        await place.dismiss(hostile)
        await place.back_to(baseline)
        place.good_untouched(good)


@pytest.mark.asyncio
async def test_a_peer_that_never_sends_open_under_delay_open_is_ended_too() -> None:
    """With DelayOpen the speaker waits before its own OPEN, then the OpenSent hold timer
    runs as above: the connection cannot be held open for longer than both."""
    overrides = {**SHORT_OPEN_WAIT, "delay_open_time": 0.5}
    async with arena(hostile_config_overrides=overrides) as place:
        good = good_session_of(place)
        hostile = await place.hostile()
        notification = await hostile.notification()
        assert (notification.code, notification.subcode) == (4, 0)
        assert [type(m) for m in hostile.received] == [Open, Notification]
        place.good_untouched(good)


@pytest.mark.asyncio
async def test_one_byte_a_second_ends_with_the_hold_timer() -> None:
    """Slowloris: an Established peer (hold time 3 s) sends an UPDATE one byte a second. Only
    whole messages restart the hold timer, so the session ends with Hold Timer Expired long
    before the message is complete; the speaker holds no more than the bytes sent."""
    async with arena() as place:
        good = good_session_of(place)
        hostile = await place.established_hostile(wire.open_message(hostile_config(hold_time=3)))
        dribble = wire.announce("198.51.100.0/24", HOSTILE_AS, H)
        reader = asyncio.get_running_loop().create_task(hostile.notification())
        sent = 0
        while not reader.done() and sent < len(dribble):
            try:
                await hostile.send(dribble[sent:sent + 1])
            except ConnectionError:
                break
            sent += 1
            await asyncio.wait({reader}, timeout=1.0)
        notification = await reader

        assert (notification.code, notification.subcode) == (4, 0)
        assert sent < len(dribble), "the whole UPDATE went through before the hold timer"
        assert place.hostile_routes() == 0
        place.good_untouched(good)


@pytest.mark.asyncio
@pytest.mark.parametrize("established", [True, False], ids=["Established", "OpenSent"])
async def test_a_4096_octet_length_with_fewer_octets_then_silence_ends_with_the_hold_timer(
        established: bool) -> None:
    """A header announcing 4096 octets, 100 of them sent, then nothing: the framer waits for
    the rest, the hold timer (3 s negotiated, or the 1 s OPEN wait) ends the session."""
    async with arena(hostile_config_overrides=SHORT_OPEN_WAIT) as place:
        good = good_session_of(place)
        baseline = place.footprint()
        if established:
            hostile = await place.established_hostile(
                wire.open_message(hostile_config(hold_time=3)))
        else:
            hostile = await place.hostile()
        await hostile.send(wire.MARKER + struct.pack("!HB", 4096, wire.UPDATE) + bytes(81))

        notification = await hostile.notification()

        assert (notification.code, notification.subcode) == (4, 0)
        await place.dismiss(hostile)
        await place.back_to(baseline)
        place.good_untouched(good)


def flood(rounds: int, prefixes: list[IPv4Network]) -> bytes:
    """``rounds`` times: announce every prefix, one UPDATE each, then withdraw them all."""
    announce = b"".join(wire.announce(prefix, HOSTILE_AS, H) for prefix in prefixes)
    withdraw = b"".join(wire.update(withdrawn=wire.nlri(str(p))) for p in prefixes)
    return (announce + withdraw) * rounds


@pytest.mark.asyncio
async def test_an_update_flood_is_pushed_back_on_and_memory_stays_bounded() -> None:
    """A peer writes 100 001 UPDATEs (3.7 MB) at once, faster than the speaker handles them.
    The session's event queue fills up to its bound and never passes it (reading pauses
    instead, and TCP holds the rest), the process grows by less than the flood while it is
    handled, and every UPDATE is handled in the end: the table is what the last one left."""
    async with arena() as place:
        good = good_session_of(place)
        hostile = await place.established_hostile()
        session = place.hostile_session()
        assert session is not None
        prefixes = [IPv4Network(f"10.{i // 256}.{i % 256}.0/24") for i in range(500)]
        data = flood(100, prefixes)
        last = IPv4Network("192.0.2.0/24")
        data += wire.announce(last, HOSTILE_AS, H)
        rib = place.target.speaker.adj_rib_in(HOSTILE_ADDR)
        before = peak = rss_kib()
        hostile.writer.write(data)
        while rib.get(IPV4_UNICAST, last) is None:
            peak = max(peak, rss_kib())
            await asyncio.sleep(0.01)
        await hostile.writer.drain()
        grown = peak - before
        print(f"queue peak {session.peak_queued_events}, RSS +{grown} KiB for {len(data)} B")

        assert len(rib) == 1  # every flooded prefix was withdrawn again
        limit = session.max_queued_events
        assert limit - 6 <= session.peak_queued_events <= limit + 3
        assert grown < len(data) // 1024, f"grew {grown} KiB for a {len(data)} byte flood"
        assert session.state is State.ESTABLISHED
        assert not any(isinstance(m, Notification) for m in hostile.received)
        place.good_untouched(good)


@pytest.mark.asyncio
async def test_more_prefixes_than_the_limit_get_cease_and_a_restart_later() -> None:
    """RFC 4486 §4: past max_prefixes the speaker sends Cease / Maximum Number of Prefixes
    Reached with AFI, SAFI and the limit as data, drops the peer's routes, and (configured
    max_prefix_restart) accepts the peer again afterwards."""
    spec = {"max_prefixes": 10, "max_prefix_restart": 0.5}
    async with arena(hostile_spec=spec) as place:
        good = good_session_of(place)
        hostile = await place.established_hostile()
        prefixes = [IPv4Network(f"10.0.{i}.0/24") for i in range(50)]
        await hostile.send(b"".join(wire.announce(p, HOSTILE_AS, H) for p in prefixes))

        notification = await hostile.notification()

        assert (notification.code, notification.subcode) == (6, 1)
        assert notification.data == struct.pack("!HBI", 1, 1, 10)
        await wait_for(lambda: place.hostile_routes() == 0)
        assert await place.hostile_downs() == [notification]
        place.good_untouched(good)

        async def session_back() -> Hostile:
            while True:
                session = place.hostile_session()
                if session is not None and session.state is State.ACTIVE:
                    return await place.established_hostile()
                await asyncio.sleep(0.05)

        async with asyncio.timeout(10):
            again = await session_back()
        await again.send(wire.announce(prefixes[0], HOSTILE_AS, H))
        await wait_for(lambda: place.hostile_routes() == 1)
        # The PeerUp event reaches the collecting task a moment after the session is up.
        await wait_for(lambda: len(place.target.of(PeerUp, HOSTILE_ADDR)) >= 2)
        assert len(place.target.of(PeerUp, HOSTILE_ADDR)) == 2


async def connect_and_read(port: int, source: str) -> bytes:
    """Connect from ``source``; everything the listener sends before closing."""
    reader, writer = await asyncio.open_connection(TARGET_ADDR, port, local_addr=(source, 0))
    try:
        return await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()


async def in_waves(port: int, sources: list[str], wave: int = 50) -> list[bytes]:
    """Connections from ``sources``, ``wave`` at a time: within the listen backlog (64), so
    that no handshake waits on the kernel's SYN-ACK retransmission (see docs/threat-model.md)."""
    answers: list[bytes] = []
    for start in range(0, len(sources), wave):
        answers += await asyncio.gather(*(connect_and_read(port, source)
                                          for source in sources[start:start + wave]))
    return answers


@pytest.mark.asyncio
async def test_hundreds_of_connections_from_unknown_addresses_are_refused() -> None:
    """200 connections from 200 unconfigured addresses, and 100 more from the configured
    hostile address while its session is up: the unknown ones are closed without a byte; of
    the extra ones from the known address, one at a time becomes a collision candidate (it
    gets our OPEN, then Hold Timer Expired as it sends none) and the others are closed without
    a byte. Descriptors return to where they were; the configured sessions carry on."""
    async with arena(hostile_config_overrides=SHORT_OPEN_WAIT) as place:
        good = good_session_of(place)
        hostile = await place.established_hostile()
        session = place.hostile_session()
        assert session is not None
        fsm = session.session
        await hostile.send(wire.announce("198.51.100.0/24", HOSTILE_AS, H))
        await wait_for(lambda: place.hostile_routes() == 1)
        fds = open_fds()
        refused = place.target.speaker.refused_connections

        answers = await in_waves(place.port, [f"127.0.1.{i}" for i in range(1, 201)])
        known = await in_waves(place.port, [HOSTILE_ADDR] * 100)

        assert answers == [b""] * 200
        assert place.target.speaker.refused_connections == refused + 200
        for answer in known:
            messages = [decode(m, READ_CTX) for m in Framer().feed(answer)]
            assert messages == [] or [type(m) for m in messages] == [Open, Notification]
            if messages:
                last = messages[-1]
                assert isinstance(last, Notification) and (last.code, last.subcode) == (4, 0)
        await wait_for(lambda: open_fds() == fds)
        assert session.session is fsm and session.state is State.ESTABLISHED
        assert place.hostile_routes() == 1
        place.good_untouched(good)


def require_root() -> None:
    if os.geteuid() != 0:
        reason = "TCP-MD5 keys need root (CAP_NET_ADMIN)"
        print(reason)
        pytest.skip(reason)


async def md5_connect(port: int, password: str | None) -> socket.socket | None:
    """A connection from the hostile address signed with ``password``, or ``None`` when the
    SYN goes unanswered for 1 s (the kernel retries an unanswered SYN after 1 s)."""
    sock = socket.socket()
    sock.setblocking(False)
    sock.bind((HOSTILE_ADDR, 0))
    if password is not None:
        sockopts.set_md5(sock, TARGET_ADDR, password)
    try:
        async with asyncio.timeout(1):
            await asyncio.get_running_loop().sock_connect(sock, (TARGET_ADDR, port))
    except TimeoutError:
        sock.close()
        return None
    return sock


@pytest.mark.asyncio
async def test_a_wrong_tcp_md5_key_gets_no_session() -> None:
    """RFC 2385: the speaker's listener requires the peer's key, so an unsigned SYN or one
    signed with another key gets no answer from the kernel: no connection, no bytes, no
    session; the right key connects."""
    require_root()
    options = TransportOptions(md5_password="right")
    async with arena(hostile_spec={"options": options}) as place:
        good = good_session_of(place)
        for wrong in (None, "wrong"):
            assert await md5_connect(place.port, wrong) is None, f"accepted with key {wrong}"
        signed = await md5_connect(place.port, "right")
        assert signed is not None, "refused with the right key"
        signed.close()
        assert not place.target.of(PeerUp, HOSTILE_ADDR)
        place.good_untouched(good)


@pytest.mark.asyncio
async def test_closing_the_speaker_in_the_middle_of_it_all_leaves_nothing_behind() -> None:
    """A speaker closed while one peer is Established, another connection sits in OpenSent
    and a third is refused: afterwards the process has the tasks and descriptors it had
    before the speaker existed."""
    tasks, fds = len(asyncio.all_tasks()), open_fds()
    async with arena(hostile_config_overrides=SHORT_OPEN_WAIT) as place:
        await place.established_hostile()
        waiting = await place.hostile()
        assert isinstance(await waiting.next_message(), Open)
        assert await connect_and_read(place.port, "127.0.1.1") == b""
    await wait_for(lambda: (len(asyncio.all_tasks()), open_fds()) == (tasks, fds))
