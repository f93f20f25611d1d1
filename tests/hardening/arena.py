"""A bgpwire Speaker under test, a well-behaved bgpwire peer of it, and a hostile raw socket.

The speaker ("target", AS 65001, listening on 127.0.0.1) has two passive peers configured:

* 127.0.0.3, another bgpwire Speaker (AS 65003) that connects and announces :data:`GOOD_PREFIX`:
  the peer that must not notice anything;
* 127.0.0.2 (AS 65002), the hostile side: plain asyncio streams from that source address, so a
  test can write any bytes it likes and read exactly what the target answers.

:meth:`Arena.footprint` takes what must come back to its value once a hostile session is gone:
asyncio tasks, open file descriptors, the hostile peer's Adj-RIB-In.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any

from bgpwire.aio import PeerSession, TransportOptions
from bgpwire.constants import MAX_EXTENDED_MESSAGE_LENGTH
from bgpwire.context import Negotiated
from bgpwire.families import IPV4_UNICAST
from bgpwire.framer import Framer
from bgpwire.fsm import PeerConfig, State
from bgpwire.messages import Message, Notification, decode
from bgpwire.speaker import PeerDown, PeerSpec, PeerUp, RoutesReceived, Speaker, SpeakerEvent
from tests.hardening import wire
from tests.waiting import wait_for

TARGET_AS, HOSTILE_AS, GOOD_AS = 65001, 65002, 65003
TARGET_ID, HOSTILE_ID, GOOD_ID = (IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2"),
                                  IPv4Address("10.0.0.3"))
TARGET_ADDR, HOSTILE_ADDR, GOOD_ADDR = "127.0.0.1", "127.0.0.2", "127.0.0.3"
GOOD_PREFIX = IPv4Network("203.0.113.0/24")
HOSTILE_HOP = "127.0.0.2"
READ_CTX = Negotiated(extended_message=True)


def target_config(peer_as: int, **overrides: Any) -> PeerConfig:
    """The target's side of a peering: short timers so that failures show within a test."""
    values: dict[str, Any] = {"connect_retry_time": 1.0, "idle_hold_time": 0.2, "jitter": False}
    values.update(overrides)
    return PeerConfig(local_as=TARGET_AS, peer_as=peer_as, router_id=TARGET_ID, **values)


def hostile_config(**overrides: Any) -> PeerConfig:
    """What the hostile side claims to be, for the OPEN bgpwire encodes for it."""
    return PeerConfig(local_as=HOSTILE_AS, peer_as=TARGET_AS, router_id=HOSTILE_ID, **overrides)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@dataclass(frozen=True)
class Footprint:
    tasks: int
    fds: int
    hostile_routes: int


@dataclass
class Watched:
    """A speaker and every event it reported, collected in the background."""

    speaker: Speaker
    events: list[SpeakerEvent] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    routes_events: int = 0
    """RoutesReceived events are counted, not kept: a flood would make the list the largest
    thing in memory. The tables are the truth about routes."""

    def start_watching(self) -> None:
        async def collect() -> None:
            async for event in self.speaker.events():
                if isinstance(event, RoutesReceived):
                    self.routes_events += 1
                else:
                    self.events.append(event)
        self.task = asyncio.get_running_loop().create_task(collect())

    def of(self, kind: type[SpeakerEvent], address: str) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind) and e.address == address]

    async def close(self) -> None:
        await self.speaker.close("test over")
        if self.task is not None:
            await asyncio.wait_for(self.task, 5)


class Hostile:
    """A raw TCP connection from the hostile address to the target: bytes out, messages in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.framer = Framer(MAX_EXTENDED_MESSAGE_LENGTH)
        self.received: list[Message] = []
        self._pending: list[bytes] = []

    @classmethod
    async def connect(cls, port: int, source: str = HOSTILE_ADDR) -> Hostile:
        reader, writer = await asyncio.open_connection(TARGET_ADDR, port,
                                                       local_addr=(source, 0))
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def next_message(self, timeout: float = 10.0) -> Message | None:
        """The next message the target sent, or ``None`` once it closed the connection."""
        async with asyncio.timeout(timeout):
            while not self._pending:
                data = await self.reader.read(65536)
                if not data:
                    return None
                self._pending += self.framer.feed(data)
        message = decode(self._pending.pop(0), READ_CTX)
        self.received.append(message)
        return message

    async def establish(self, open_bytes: bytes | None = None) -> None:
        """OPEN, then KEEPALIVE once the target's OPEN and KEEPALIVE arrived."""
        await self.send(open_bytes or wire.open_message(hostile_config()))
        kinds: list[str] = []
        while len(kinds) < 2:
            message = await self.next_message()
            assert message is not None, f"closed during the OPEN exchange: {self.received}"
            kinds.append(type(message).__name__)
        assert kinds == ["Open", "Keepalive"], kinds
        await self.send(wire.keepalive())

    async def notification(self, timeout: float = 10.0) -> Notification:
        """Read until the target's NOTIFICATION; then the connection must close."""
        while True:
            message = await self.next_message(timeout)
            assert message is not None, f"closed without a NOTIFICATION: {self.received}"
            if isinstance(message, Notification):
                break
        assert await self.closed(timeout), "the target kept the connection after NOTIFICATION"
        return message

    async def closed(self, timeout: float = 10.0) -> bool:
        """Whether the target closes the connection (anything else it sends is kept)."""
        try:
            while (await self.next_message(timeout)) is not None:
                pass
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


class Arena:
    """The target speaker with its two peers; see the module docstring."""

    def __init__(self, target: Watched, good: Watched) -> None:
        self.target = target
        self.good = good
        self.hostiles: list[Hostile] = []

    @property
    def port(self) -> int:
        return self.target.speaker.listen_ports[0]

    async def hostile(self, source: str = HOSTILE_ADDR) -> Hostile:
        connection = await Hostile.connect(self.port, source)
        self.hostiles.append(connection)
        return connection

    async def dismiss(self, hostile: Hostile) -> None:
        """Close ``hostile``'s connection and forget it (the arena closes those left at the
        end)."""
        await hostile.close()
        self.hostiles.remove(hostile)

    async def established_hostile(self, open_bytes: bytes | None = None) -> Hostile:
        """A hostile connection that went through the OPEN exchange to Established."""
        before = len(self.target.of(PeerUp, HOSTILE_ADDR))
        connection = await self.hostile()
        await connection.establish(open_bytes)
        await wait_for(lambda: len(self.target.of(PeerUp, HOSTILE_ADDR)) > before)
        return connection

    async def hostile_downs(self) -> list[Notification | None]:
        """The NOTIFICATION of each PeerDown of the hostile peer, once there is at least one
        (the speaker's events reach the collecting task a moment after the tables change)."""
        await wait_for(lambda: bool(self.target.of(PeerDown, HOSTILE_ADDR)))
        return [down.notification for down in self.target.of(PeerDown, HOSTILE_ADDR)]

    def hostile_session(self) -> PeerSession | None:
        return self.target.speaker.session(HOSTILE_ADDR)

    def hostile_routes(self) -> int:
        return len(self.target.speaker.adj_rib_in(HOSTILE_ADDR))

    def footprint(self) -> Footprint:
        return Footprint(len(asyncio.all_tasks()), open_fds(), self.hostile_routes())

    async def back_to(self, baseline: Footprint) -> None:
        """Wait until tasks, descriptors and the hostile Adj-RIB-In are back to ``baseline``."""
        try:
            await wait_for(lambda: self.footprint() == baseline)
        except TimeoutError:
            raise AssertionError(f"left behind: {self.footprint()} != {baseline}") from None

    def good_untouched(self, session: PeerSession) -> None:
        """The well-behaved peer kept the same session, Established, and its route."""
        assert self.target.speaker.session(GOOD_ADDR) is session
        assert session.state is State.ESTABLISHED
        rib = self.target.speaker.adj_rib_in(GOOD_ADDR)
        assert rib.get(IPV4_UNICAST, GOOD_PREFIX) is not None
        assert len(self.target.of(PeerUp, GOOD_ADDR)) == 1


@contextlib.asynccontextmanager
async def arena(*, hostile_spec: dict[str, Any] | None = None,
                hostile_config_overrides: dict[str, Any] | None = None,
                good_spec: dict[str, Any] | None = None) -> AsyncIterator[Arena]:
    """The target with the good peer up and its route received; the hostile peer configured
    (passive, waiting) but not connected. Everything is closed on the way out."""
    target = Watched(Speaker(TARGET_AS, TARGET_ID, listen=[(TARGET_ADDR, 0)]))
    good = Watched(Speaker(GOOD_AS, GOOD_ID))
    await target.speaker.start()
    await good.speaker.start()
    target.start_watching()
    good.start_watching()
    place = Arena(target, good)
    try:
        await target.speaker.add_peer(PeerSpec(
            HOSTILE_ADDR, target_config(HOSTILE_AS, **(hostile_config_overrides or {})),
            passive=True, **(hostile_spec or {})))
        await target.speaker.add_peer(PeerSpec(GOOD_ADDR, target_config(GOOD_AS), passive=True,
                                               **(good_spec or {})))
        options = TransportOptions(local_address=GOOD_ADDR,
                                   remote_port=target.speaker.listen_ports[0])
        good.speaker.announce(GOOD_PREFIX)
        await good.speaker.add_peer(PeerSpec(
            TARGET_ADDR, PeerConfig(local_as=GOOD_AS, peer_as=TARGET_AS, router_id=GOOD_ID,
                                    connect_retry_time=1.0, jitter=False),
            options, next_hop=IPv4Address(GOOD_ADDR)))
        rib = target.speaker.adj_rib_in(GOOD_ADDR)
        await wait_for(lambda: rib.get(IPV4_UNICAST, GOOD_PREFIX) is not None)
        yield place
    finally:
        for connection in place.hostiles:
            await connection.close()
        await good.close()
        await target.close()
