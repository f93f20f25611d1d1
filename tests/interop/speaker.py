"""The bgpwire side: its configuration, the routes it sends, and a recorder of session events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any, TypeVar

from bgpwire import (
    IPV6_UNICAST,
    ASPath,
    Communities,
    LargeCommunities,
    LargeCommunity,
    MPReachNLRI,
    MultiExitDisc,
    Negotiated,
    NextHop,
    Origin,
    OriginCode,
    Update,
    format_community,
    pack_announcements,
    pack_withdrawals,
    parse_community,
)
from bgpwire.aio import PeerSession, TransportOptions
from bgpwire.families import IPV4_UNICAST
from bgpwire.fsm import Event, PeerConfig, SessionDown, SessionEstablished, UpdateReceived
from tests.interop.daemons import BGPWIRE_AS, PRIMARY_HOST, LabDaemon
from tests.interop.procs import RibEntry

T = TypeVar("T")

MED = 10
COMMUNITIES = ("65010:1", "65010:2")
LARGE_COMMUNITIES = ("65010:1:1",)
ROUTES4 = ("192.0.2.0/26", "192.0.2.128/25")
ROUTES6 = ("2001:db8:100::/48", "2001:db8:101:1::/64")
ESTABLISH_TIMEOUT = 10.0


def peer_config(daemon: LabDaemon, **overrides: Any) -> PeerConfig:
    """bgpwire's side of the session with ``daemon``; short timers for tests."""
    settings: dict[str, Any] = {
        "local_as": BGPWIRE_AS,
        "peer_as": daemon.plan.asn,
        "router_id": IPv4Address(daemon.topology.addresses.v4(PRIMARY_HOST)),
        "hold_time": 30,
        "connect_retry_time": 1.0,
        "idle_hold_time": 0.5,
        "idle_hold_time_max": 1.0,
        "jitter": False,
    }
    settings.update(overrides)
    return PeerConfig(**settings)


def attributes(next_hop: str | None = None) -> tuple[Any, ...]:
    common = (
        Origin(OriginCode.IGP),
        ASPath.from_asns([BGPWIRE_AS]),
        MultiExitDisc(MED),
        Communities(tuple(parse_community(c) for c in COMMUNITIES)),
        LargeCommunities(tuple(LargeCommunity.parse(c) for c in LARGE_COMMUNITIES)),
    )
    return common if next_hop is None else (*common, NextHop(IPv4Address(next_hop)))


def announcements(next_hop4: str, next_hop6: str, ctx: Negotiated) -> list[Update]:
    """ROUTES4 in the classic NLRI field, ROUTES6 in MP_REACH_NLRI, same attributes."""
    updates = pack_announcements(attributes(next_hop4), [IPv4Network(p) for p in ROUTES4], ctx)
    reach = MPReachNLRI(IPV6_UNICAST, (IPv6Address(next_hop6),), ())
    updates += pack_announcements((*attributes(), reach), [IPv6Network(p) for p in ROUTES6], ctx)
    return updates


def withdrawals(ctx: Negotiated) -> list[Update]:
    return [*pack_withdrawals(IPV4_UNICAST, [IPv4Network(p) for p in ROUTES4], ctx),
            *pack_withdrawals(IPV6_UNICAST, [IPv6Network(p) for p in ROUTES6], ctx)]


def expected(prefix: str, next_hop: str) -> RibEntry:
    """A route bgpwire sent, as the daemon should show it."""
    return RibEntry(prefix, next_hop, (BGPWIRE_AS,), MED, frozenset(COMMUNITIES),
                    frozenset(LARGE_COMMUNITIES))


def received_routes(update: Update) -> dict[str, RibEntry]:
    """The routes an UPDATE announces, in the form the daemons' RIBs are compared in."""
    path = update.attr(ASPath)
    med = update.attr(MultiExitDisc)
    comms = update.attr(Communities)
    large = update.attr(LargeCommunities)
    classic = update.attr(NextHop)
    reach = update.mp_reach
    result = {}
    for family, item in update.announced():
        if family == IPV4_UNICAST and reach is None:
            hop = str(classic.address) if classic is not None else ""
        else:
            hop = str(reach.next_hops[0]) if reach is not None and reach.next_hops else ""
        prefix = str(getattr(item, "prefix", item))
        result[prefix] = RibEntry(
            prefix=prefix,
            next_hop=hop,
            as_path=path.asns if path is not None else (),
            med=med.value if med is not None else None,
            communities=frozenset(format_community(v) for v in comms.values) if comms else
            frozenset(),
            large_communities=frozenset(str(v) for v in large.values) if large else frozenset(),
        )
    return result


@dataclass
class Recorder:
    """Every event a session reports, collected by a task, with waits on what has arrived."""

    session: PeerSession
    events: list[Event] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self.session.events():
            self.events.append(event)
            self.changed.set()

    async def wait(self, what: str, check: Callable[[list[Event]], T | None],
                   timeout: float = ESTABLISH_TIMEOUT) -> T:
        deadline = time.monotonic() + timeout
        while True:
            result = check(self.events)
            if result is not None and result is not False:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timeout ({timeout}s) waiting for {what}; "
                                     f"events: {self.events!r}")
            self.changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)

    def routes(self) -> dict[str, RibEntry]:
        """What the peer announced and has not withdrawn, replayed from the UPDATEs received."""
        rib: dict[str, RibEntry] = {}
        for event in self.events:
            if isinstance(event, SessionDown):
                rib.clear()
            if not isinstance(event, UpdateReceived):
                continue
            for _, item in event.update.withdrawals():
                rib.pop(str(getattr(item, "prefix", item)), None)
            rib.update(received_routes(event.update))
        return rib

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with suppress(asyncio.CancelledError):
                await self.task


def established(events: list[Event]) -> SessionEstablished | None:
    return next((e for e in events if isinstance(e, SessionEstablished)), None)


def down(events: list[Event]) -> SessionDown | None:
    return next((e for e in events if isinstance(e, SessionDown)), None)


@asynccontextmanager
async def session_with(
    daemon: LabDaemon,
    remote: str | None = None,
    local: str | None = None,
    config: PeerConfig | None = None,
    **options: Any,
) -> AsyncIterator[tuple[PeerSession, Recorder]]:
    """A started bgpwire session towards ``daemon`` (bound to ``local``), stopped on exit."""
    session = PeerSession(
        config or peer_config(daemon),
        remote or daemon.address4,
        TransportOptions(local_address=local or daemon.peer4, **options),
    )
    recorder = Recorder(session)
    recorder.start()
    await session.start()
    try:
        yield session, recorder
    finally:
        await session.stop("test done")
        await recorder.stop()
