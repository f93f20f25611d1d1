"""The Speaker over real loopback sockets: two speakers (or a speaker and a bare PeerSession)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

import pytest

from bgpwire.aio import TransportOptions
from bgpwire.attributes import ASPath, LocalPref
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.fsm import PeerConfig
from bgpwire.rib import route_attributes
from bgpwire.speaker import (
    EndOfRIB,
    PeerDown,
    PeerSpec,
    PeerUp,
    RoutesReceived,
    Speaker,
    SpeakerEvent,
)

A_AS, B_AS = 65001, 65002
A_ID, B_ID, C_ID = IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2"), IPv4Address("10.0.0.3")
A_ADDR, B_ADDR, C_ADDR = "127.0.0.1", "127.0.0.2", "127.0.0.3"
NH4, NH6 = IPv4Address("192.0.2.1"), IPv6Address("2001:db8::1")
P4, P6 = IPv4Network("198.51.100.0/24"), IPv6Network("2001:db8:100::/48")


def config(local_as: int, peer_as: int, router_id: IPv4Address, **overrides: Any) -> PeerConfig:
    return PeerConfig(local_as=local_as, peer_as=peer_as, router_id=router_id, jitter=False,
                      connect_retry_time=1.0, idle_hold_time=0.3, **overrides)


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


@dataclass
class Watched:
    """A speaker and every event it reported, collected in the background."""

    speaker: Speaker
    events: list[SpeakerEvent] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def start_watching(self) -> None:
        async def collect() -> None:
            async for event in self.speaker.events():
                self.events.append(event)
        self.task = asyncio.get_running_loop().create_task(collect())

    def of(self, kind: type[SpeakerEvent], address: str | None = None) -> list[Any]:
        return [e for e in self.events
                if isinstance(e, kind) and (address is None or e.address == address)]

    async def close(self) -> None:
        await self.speaker.close("test over")
        if self.task is not None:
            await asyncio.wait_for(self.task, 5)


@contextlib.asynccontextmanager
async def speakers(b_as: int = B_AS, **b_overrides: Any) -> AsyncIterator[tuple[Watched, Watched]]:
    """A (AS 65001) listening on 127.0.0.1 and B (from 127.0.0.2) connecting to it; A is
    started with no peers, B with none: the tests add them."""
    a = Watched(Speaker(A_AS, A_ID, listen=[(A_ADDR, 0)]))
    b = Watched(Speaker(b_as, B_ID))
    await a.speaker.start()
    await b.speaker.start()
    a.start_watching()
    b.start_watching()
    try:
        yield a, b
    finally:
        await b.close()
        await a.close()


def a_spec_for(peer_address: str, peer_as: int, router_id: IPv4Address = A_ID,
               **overrides: Any) -> PeerSpec:
    """A's side: passive, next hops configured."""
    gr = overrides.pop("graceful_restart", None)
    return PeerSpec(peer_address, config(A_AS, peer_as, router_id, graceful_restart=gr),
                    passive=True, next_hop=NH4, next_hop6=NH6, **overrides)


def b_spec(a: Speaker, local_as: int = B_AS, source: str = B_ADDR, router_id: IPv4Address = B_ID,
           **config_overrides: Any) -> PeerSpec:
    """The connecting side: from ``source`` to A's listener."""
    options = TransportOptions(local_address=source, remote_port=a.listen_ports[0])
    return PeerSpec(A_ADDR, config(local_as, A_AS, router_id, **config_overrides), options,
                    next_hop=IPv4Address(source), next_hop6=IPv6Address("2001:db8::2"))


async def established(w: Watched, address: str, count: int = 1) -> None:
    await wait_for(lambda: len(w.of(PeerUp, address)) >= count)


@pytest.mark.asyncio
async def test_ebgp_routes_arrive_with_our_as_and_next_hop_then_end_of_rib() -> None:
    async with speakers() as (a, b):
        a.speaker.announce(P4, attributes=route_attributes(med=5))
        a.speaker.announce(P6)  # before any peer: sent when the session comes up
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS))
        await b.speaker.add_peer(b_spec(a.speaker))
        rib = b.speaker.adj_rib_in(A_ADDR)
        await wait_for(lambda: {IPV4_UNICAST, IPV6_UNICAST} <= rib.end_of_rib_received)
        v4, v6 = rib.get(IPV4_UNICAST, P4), rib.get(IPV6_UNICAST, P6)
        assert v4 is not None and v6 is not None
        for route in (v4, v6):
            path = route.attr(ASPath)
            assert path is not None and path.asns == (A_AS,)
            assert route.attr(LocalPref) is None
        assert v4.next_hop == NH4 and v6.next_hop == NH6
        # End-of-RIB comes after the routes of its family
        kinds = [(type(e), getattr(e, "family", None)) for e in b.events
                 if isinstance(e, RoutesReceived | EndOfRIB)]
        assert kinds.index((EndOfRIB, IPV4_UNICAST)) > kinds.index((RoutesReceived, None))
        assert {r.key for e in b.of(RoutesReceived) for r in e.announced} == {
            (IPV4_UNICAST, P4), (IPV6_UNICAST, P6)}
        assert len(a.speaker.adj_rib_out(B_ADDR)) == 2

        a.speaker.withdraw(P4)
        await wait_for(lambda: rib.get(IPV4_UNICAST, P4) is None)
        assert rib.get(IPV6_UNICAST, P6) is not None
        assert any(r.key == (IPV4_UNICAST, P4) for e in b.of(RoutesReceived)
                   for r in e.withdrawn)


@pytest.mark.asyncio
async def test_ibgp_routes_carry_local_pref_and_keep_the_path() -> None:
    async with speakers(b_as=A_AS) as (a, b):
        await a.speaker.add_peer(a_spec_for(B_ADDR, A_AS))
        await b.speaker.add_peer(b_spec(a.speaker, local_as=A_AS))
        await established(b, A_ADDR)
        a.speaker.announce(P4)
        a.speaker.announce(P6, next_hop=IPv6Address("2001:db8::99"))
        rib = b.speaker.adj_rib_in(A_ADDR)
        await wait_for(lambda: len(rib) == 2)
        v4, v6 = rib.get(IPV4_UNICAST, P4), rib.get(IPV6_UNICAST, P6)
        assert v4 is not None and v6 is not None
        for route in (v4, v6):
            local_pref = route.attr(LocalPref)
            path = route.attr(ASPath)
            assert local_pref is not None and local_pref.value == 100
            assert path is not None and path.asns == ()
        assert v4.next_hop == NH4
        assert v6.next_hop == IPv6Address("2001:db8::99")


@pytest.mark.asyncio
async def test_a_route_announced_while_the_peer_is_down_arrives_when_it_comes_up() -> None:
    async with speakers() as (a, b):
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS))
        await b.speaker.add_peer(b_spec(a.speaker))
        await established(a, B_ADDR)
        await b.speaker.remove_peer(A_ADDR, "going away")
        await wait_for(lambda: len(a.of(PeerDown, B_ADDR)) == 1)
        a.speaker.announce(P4)
        assert len(a.speaker.adj_rib_out(B_ADDR)) == 0
        await b.speaker.add_peer(b_spec(a.speaker))
        await wait_for(lambda: b.speaker.adj_rib_in(A_ADDR).get(IPV4_UNICAST, P4) is not None)
