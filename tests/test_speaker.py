"""The Speaker over real loopback sockets: two speakers (or a speaker and a bare PeerSession)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any

import pytest

from bgpwire.aio import PeerSession, TransportOptions
from bgpwire.attributes import ASPath, LocalPref
from bgpwire.constants import CeaseSubcode, ErrorCode
from bgpwire.errors import LocalProtocolError
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.fsm import GracefulRestartConfig, PeerConfig, State, UpdateReceived
from bgpwire.rib import route_attributes
from bgpwire.speaker import (
    EndOfRIB,
    PeerDown,
    PeerNotificationReceived,
    PeerNotificationSent,
    PeerSpec,
    PeerUp,
    RoutesReceived,
    Speaker,
    SpeakerEvent,
)
from tests.waiting import wait_for

A_AS, B_AS = 65001, 65002
A_ID, B_ID, C_ID = IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2"), IPv4Address("10.0.0.3")
A_ADDR, B_ADDR, C_ADDR = "127.0.0.1", "127.0.0.2", "127.0.0.3"
NH4, NH6 = IPv4Address("192.0.2.1"), IPv6Address("2001:db8::1")
P4, P6 = IPv4Network("198.51.100.0/24"), IPv6Network("2001:db8:100::/48")


def config(local_as: int, peer_as: int, router_id: IPv4Address, **overrides: Any) -> PeerConfig:
    return PeerConfig(local_as=local_as, peer_as=peer_as, router_id=router_id, jitter=False,
                      connect_retry_time=1.0, idle_hold_time=0.3, **overrides)


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
async def speakers(b_as: int = B_AS, *, listen: str = A_ADDR,
                   **b_overrides: Any) -> AsyncIterator[tuple[Watched, Watched]]:
    """A (AS 65001) listening on ``listen`` (127.0.0.1) and B (from 127.0.0.2) connecting to
    it; A is started with no peers, B with none: the tests add them."""
    a = Watched(Speaker(A_AS, A_ID, listen=[(listen, 0)]))
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


@pytest.mark.asyncio
async def test_adding_updating_and_removing_one_peer_leaves_the_other_alone() -> None:
    async with speakers() as (a, b):
        c = Watched(Speaker(B_AS + 1, C_ID))
        await c.speaker.start()
        c.start_watching()
        try:
            await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS))
            await b.speaker.add_peer(b_spec(a.speaker))
            await established(a, B_ADDR)
            b.speaker.announce(P4)
            await wait_for(lambda: len(a.speaker.adj_rib_in(B_ADDR)) == 1)
            b_session = a.speaker.session(B_ADDR)
            assert b_session is not None
            fsm, endpoint = b_session.session, b_session.remote_address

            def b_untouched() -> None:
                assert a.speaker.session(B_ADDR) is b_session
                assert b_session.session is fsm and b_session.remote_address == endpoint
                assert b_session.state is State.ESTABLISHED
                assert a.speaker.adj_rib_in(B_ADDR).get(IPV4_UNICAST, P4) is not None
                assert len(a.of(PeerDown, B_ADDR)) == 0

            c_spec = a_spec_for(C_ADDR, B_AS + 1)
            await a.speaker.add_peer(c_spec)
            await c.speaker.add_peer(b_spec(a.speaker, local_as=B_AS + 1, source=C_ADDR,
                                            router_id=C_ID))
            await established(a, C_ADDR)
            b_untouched()

            await a.speaker.update_peer(c_spec)  # the same: nothing happens
            assert len(a.of(PeerDown, C_ADDR)) == 0
            await a.speaker.update_peer(replace(c_spec, max_prefixes=100))
            await established(a, C_ADDR, count=2)
            assert len(a.of(PeerDown, C_ADDR)) == 1
            assert a.speaker.adj_rib_in(C_ADDR).max_prefixes == 100
            b_untouched()

            await a.speaker.remove_peer(C_ADDR, "bye")
            assert {p.address for p in a.speaker.peers()} == {B_ADDR}
            with pytest.raises(LocalProtocolError):
                a.speaker.adj_rib_in(C_ADDR)
            await wait_for(lambda: len(c.of(PeerNotificationReceived)) >= 2)
            assert c.of(PeerNotificationReceived)[-1].notification.shutdown_communication == "bye"
            b_untouched()
            assert [(p.address, p.state, p.received) for p in a.speaker.peers()] == [
                (B_ADDR, State.ESTABLISHED, 1)]
        finally:
            await c.close()


@pytest.mark.asyncio
async def test_a_peer_over_its_prefix_limit_gets_cease_6_1_with_the_rfc_4486_data() -> None:
    async with speakers() as (a, b):
        for i in range(3):
            b.speaker.announce(IPv4Network(f"203.0.113.{i * 8}/29"))
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS, max_prefixes=2,
                                            max_prefix_restart=0.5))
        await b.speaker.add_peer(b_spec(a.speaker))
        await wait_for(lambda: len(b.of(PeerNotificationReceived)) >= 1)
        notification = b.of(PeerNotificationReceived)[0].notification
        assert (notification.code, notification.subcode) == (
            ErrorCode.CEASE, CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED)
        assert notification.data == bytes((0, 1, 1, 0, 0, 0, 2))  # AFI 1, SAFI 1, limit 2
        assert a.of(PeerNotificationSent, B_ADDR)[0].notification == notification
        await wait_for(lambda: len(a.of(PeerDown, B_ADDR)) >= 1)
        assert len(a.speaker.adj_rib_in(B_ADDR)) <= 2
        # max_prefix_restart: the session comes back (and goes down again, still over)
        await established(a, B_ADDR, count=2)


@pytest.mark.asyncio
async def test_a_route_carrying_our_as_is_not_installed() -> None:
    async with speakers() as (a, b):
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS))
        await b.speaker.add_peer(b_spec(a.speaker))
        await established(b, A_ADDR)
        looped = IPv4Network("203.0.113.0/24")
        b.speaker.announce(looped, attributes=route_attributes(as_path=[65010, A_AS]))
        b.speaker.announce(P4, attributes=route_attributes(as_path=[65010]))
        rib = a.speaker.adj_rib_in(B_ADDR)
        await wait_for(lambda: rib.get(IPV4_UNICAST, P4) is not None)
        assert rib.get(IPV4_UNICAST, looped) is None
        assert len(b.speaker.adj_rib_out(A_ADDR)) == 2  # it was sent


@pytest.mark.asyncio
async def test_route_refresh_is_answered_from_the_adj_rib_out() -> None:
    a = Speaker(A_AS, A_ID, listen=[(A_ADDR, 0)])
    await a.start()
    await a.add_peer(a_spec_for(B_ADDR, B_AS))
    a.announce(P4)
    a.announce(P6)
    options = TransportOptions(local_address=B_ADDR, remote_port=a.listen_ports[0])
    raw = PeerSession(config(B_AS, A_AS, B_ID), A_ADDR, options)
    received: list[UpdateReceived] = []

    async def collect() -> None:
        async for event in raw.events():
            if isinstance(event, UpdateReceived):
                received.append(event)
    task = asyncio.get_running_loop().create_task(collect())
    try:
        await raw.start()
        await raw.wait_established(10)
        await wait_for(lambda: sum(e.end_of_rib is not None for e in received) == 2)
        first = len(received)
        raw.send_route_refresh(IPV4_UNICAST)
        await wait_for(lambda: len(received) > first)
        await asyncio.sleep(0.2)  # anything else it sent
        again = received[first:]
        assert [key for e in again for key in e.update.announced()] == [(IPV4_UNICAST, P4)]
    finally:
        await raw.stop()
        await task
        await a.close()


@pytest.mark.asyncio
async def test_graceful_restart_keeps_stale_routes_then_sweeps_or_refreshes_them() -> None:
    gr = GracefulRestartConfig(restart_time=2)
    async with speakers() as (a, b):
        b.speaker.announce(P4)
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS, graceful_restart=gr))
        await b.speaker.add_peer(b_spec(a.speaker, graceful_restart=gr))
        rib = a.speaker.adj_rib_in(B_ADDR)
        await wait_for(lambda: rib.get(IPV4_UNICAST, P4) is not None)

        def stale() -> bool | None:
            route = rib.get(IPV4_UNICAST, P4)
            return None if route is None else route.stale

        # the peer does not come back within its restart time: swept
        await b.speaker.remove_peer(A_ADDR, "restarting")
        await wait_for(lambda: len(a.of(PeerDown, B_ADDR)) == 1)
        assert stale() is True
        await wait_for(lambda: stale() is None, timeout=6)
        # The sweep's event reaches the test's reader a moment after the table changed.
        await wait_for(lambda: any(r.key == (IPV4_UNICAST, P4)
                                   for e in a.of(RoutesReceived, B_ADDR) for r in e.withdrawn))

        # it comes back in time: kept, refreshed at its End-of-RIB
        await b.speaker.add_peer(b_spec(a.speaker, graceful_restart=gr))
        await wait_for(lambda: stale() is False)
        await b.speaker.remove_peer(A_ADDR, "restarting again")
        await wait_for(lambda: len(a.of(PeerDown, B_ADDR)) == 2)
        assert stale() is True
        eors = len(a.of(EndOfRIB, B_ADDR))
        await b.speaker.add_peer(b_spec(a.speaker, graceful_restart=gr))
        await wait_for(lambda: len(a.of(EndOfRIB, B_ADDR)) > eors)
        assert stale() is False
        await asyncio.sleep(2.5)  # past the first restart deadline
        assert stale() is False


@pytest.mark.asyncio
async def test_a_session_without_graceful_restart_loses_the_routes_at_once() -> None:
    async with speakers() as (a, b):
        b.speaker.announce(P4)
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS))
        await b.speaker.add_peer(b_spec(a.speaker))
        rib = a.speaker.adj_rib_in(B_ADDR)
        await wait_for(lambda: len(rib) == 1)
        await b.speaker.remove_peer(A_ADDR)
        await wait_for(lambda: len(a.of(PeerDown, B_ADDR)) == 1)
        assert len(rib) == 0


@pytest.mark.asyncio
async def test_close_sends_the_shutdown_communication_to_every_peer() -> None:
    async with speakers() as (a, b):
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS))
        await b.speaker.add_peer(b_spec(a.speaker))
        await established(b, A_ADDR)
        await a.speaker.close("maintenance window")
        await wait_for(lambda: len(b.of(PeerDown, A_ADDR)) == 1)
        down = b.of(PeerDown, A_ADDR)[0]
        assert down.notification is not None
        assert (down.notification.code, down.notification.subcode) == (
            ErrorCode.CEASE, CeaseSubcode.ADMINISTRATIVE_SHUTDOWN)
        assert down.notification.shutdown_communication == "maintenance window"
        assert a.task is not None
        await asyncio.wait_for(a.task, 5)  # events() ended


@pytest.mark.parametrize(("field_name", "value"), [
    ("address", "not-an-address"),
    ("max_prefixes", 0),
    ("max_prefix_restart", -1.0),
    ("next_hop", IPv6Address("2001:db8::1")),
    ("next_hop6", IPv6Address("fe80::1")),
])
def test_a_bad_peer_spec_names_the_field_and_the_value(field_name: str, value: Any) -> None:
    good = PeerSpec("192.0.2.9", config(A_AS, B_AS, A_ID), max_prefixes=10)
    with pytest.raises(LocalProtocolError, match=f"PeerSpec.{field_name} = "):
        replace(good, **{field_name: value})


@pytest.mark.asyncio
async def test_a_peer_may_use_its_own_local_as_and_router_id() -> None:
    own_as, own_id = 64600, IPv4Address("10.9.9.9")
    async with speakers() as (a, b):
        a.speaker.announce(P4)
        spec = a_spec_for(B_ADDR, B_AS)
        await a.speaker.add_peer(replace(spec, config=replace(
            spec.config, local_as=own_as, router_id=own_id)))
        await b.speaker.add_peer(PeerSpec(A_ADDR, config(B_AS, own_as, B_ID), b_spec(
            a.speaker).options))
        await established(b, A_ADDR)
        up = b.of(PeerUp, A_ADDR)[0]
        assert (up.negotiation.peer_as, up.negotiation.peer_id) == (own_as, own_id)
        rib = b.speaker.adj_rib_in(A_ADDR)
        await wait_for(lambda: rib.get(IPV4_UNICAST, P4) is not None)
        route = rib.get(IPV4_UNICAST, P4)
        assert route is not None
        path = route.attr(ASPath)
        assert path is not None and path.asns == (own_as,)
        assert a.speaker.local_as == A_AS  # the speaker's own stay the defaults


def test_peer_config_fills_in_the_speakers_defaults() -> None:
    speaker = Speaker(A_AS, A_ID)
    assert speaker.peer_config(B_AS) == PeerConfig(A_AS, B_AS, A_ID)
    other = speaker.peer_config(None, local_as=64600, hold_time=9)
    assert (other.local_as, other.peer_as, other.router_id, other.hold_time) == (
        64600, None, A_ID, 9)


@pytest.mark.asyncio
async def test_peers_accepted_from_an_address_range() -> None:
    async with speakers() as (a, b):
        a.speaker.accept_range(IPv4Network(f"{B_ADDR}/32"), a_spec_for("0.0.0.0", B_AS))
        a.speaker.announce(P4)
        await b.speaker.add_peer(b_spec(a.speaker))
        await established(a, B_ADDR)
        assert [status.address for status in a.speaker.peers()] == [B_ADDR]
        rib = b.speaker.adj_rib_in(A_ADDR)
        await wait_for(lambda: rib.get(IPV4_UNICAST, P4) is not None)
        # An address outside every range is still refused, and no peer is made for it.
        outsider = Speaker(B_AS, C_ID)
        await outsider.start()
        try:
            await outsider.add_peer(b_spec(a.speaker, source=C_ADDR, router_id=C_ID))
            await wait_for(lambda: a.speaker.refused_connections >= 1)
            assert [status.address for status in a.speaker.peers()] == [B_ADDR]
            assert not a.of(PeerUp, C_ADDR)
        finally:
            await outsider.close()
