"""Speaker.peer_status, RoutesNotSent, and IPv4 routes over an IPv6 next hop (RFC 8950)."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address

import pytest

from bgpwire.aio import TransportOptions
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.fsm import GracefulRestartConfig, State
from bgpwire.speaker import PeerDown, PeerSpec, RoutesNotSent, Speaker
from tests.test_speaker import (
    A_ADDR,
    A_AS,
    A_ID,
    B_ADDR,
    B_AS,
    B_ID,
    P4,
    P6,
    Watched,
    a_spec_for,
    b_spec,
    config,
    established,
    speakers,
)
from tests.waiting import wait_for

NO_V6_HOP = "no IPv6 next hop: IPv4 transport and no next_hop6 configured"
V6_HOP = IPv6Address("2001:db8::1")


@pytest.mark.asyncio
async def test_status_of_an_established_peer_then_of_one_that_went_down() -> None:
    gr = GracefulRestartConfig()
    async with speakers() as (a, b):
        a.speaker.announce(P4)
        a.speaker.announce(P6)
        b.speaker.announce(P4)
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS, graceful_restart=gr))
        await b.speaker.add_peer(b_spec(a.speaker, graceful_restart=gr))
        await wait_for(lambda: len(a.speaker.adj_rib_in(B_ADDR)) == 1
                       and len(b.speaker.adj_rib_in(A_ADDR)) == 2)
        status = a.speaker.peer_status(B_ADDR)
        assert status.state is State.ESTABLISHED and status.last_error == ""
        assert status.established_at is not None
        assert status.uptime is not None and status.uptime >= 0
        capabilities = status.capabilities
        assert capabilities is not None
        assert capabilities.families == (IPV4_UNICAST, IPV6_UNICAST)
        assert capabilities.four_octet_as and capabilities.route_refresh
        assert capabilities.graceful_restart and not capabilities.extended_message
        assert capabilities.add_path_send == frozenset()
        assert (capabilities.hold_time, capabilities.keepalive_time) == (90, 30)
        # our two routes and two End-of-RIBs at least; its route and End-of-RIBs
        assert status.updates_sent >= 4 and status.updates_received >= 3
        assert status.advertised_by_family == {IPV4_UNICAST: 1, IPV6_UNICAST: 1}
        assert status.unsent == {}
        assert [(p.address, p.advertised) for p in a.speaker.peers()] == [(B_ADDR, 2)]

        await b.speaker.remove_peer(A_ADDR, "maintenance")
        await wait_for(lambda: len(a.of(PeerDown, B_ADDR)) == 1)
        down = a.speaker.peer_status(B_ADDR)
        assert down.state is not State.ESTABLISHED
        assert down.established_at is None and down.capabilities is None
        assert down.last_error.endswith(
            "NOTIFICATION received CEASE/ADMINISTRATIVE_SHUTDOWN 'maintenance'"), down
        assert down.advertised_by_family == {}
        assert down.updates_sent == status.updates_sent  # counters span sessions


@pytest.mark.asyncio
async def test_an_ipv6_route_without_a_next_hop_is_reported_not_silently_skipped() -> None:
    async with speakers() as (a, b):
        spec = replace(a_spec_for(B_ADDR, B_AS), next_hop6=None)
        await a.speaker.add_peer(spec)
        await b.speaker.add_peer(b_spec(a.speaker))
        await established(a, B_ADDR)
        a.speaker.announce(P4)
        a.speaker.announce(P6)
        await wait_for(lambda: bool(a.of(RoutesNotSent, B_ADDR)))
        event = a.of(RoutesNotSent, B_ADDR)[0]
        assert (event.keys, event.reason) == (((IPV6_UNICAST, P6),), NO_V6_HOP)
        assert a.speaker.peer_status(B_ADDR).unsent == {(IPV6_UNICAST, P6): NO_V6_HOP}
        a.speaker.announce(P6)  # the same reason again: no second event
        await wait_for(lambda: len(b.speaker.adj_rib_in(A_ADDR)) == 1)
        await asyncio.sleep(0.05)
        assert len(a.of(RoutesNotSent, B_ADDR)) == 1
        a.speaker.withdraw(P6)
        assert a.speaker.peer_status(B_ADDR).unsent == {}

        # configured: the route goes out
        a.speaker.announce(P6)
        await a.speaker.update_peer(spec_with_hop := replace(spec, next_hop6=IPv6Address(
            "2001:db8::1")))
        assert a.speaker.peer_status(B_ADDR).unsent == {}
        await established(a, B_ADDR, count=2)
        await wait_for(lambda: b.speaker.adj_rib_in(A_ADDR).get(IPV6_UNICAST, P6) is not None)
        assert a.speaker.peer_status(spec_with_hop.address).unsent == {}


@pytest.mark.asyncio
async def test_a_family_the_peer_did_not_negotiate_is_named() -> None:
    async with speakers() as (a, b):
        a.speaker.announce(P6)
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS))
        await b.speaker.add_peer(b_spec(a.speaker, families=(IPV4_UNICAST,)))
        await wait_for(lambda: bool(a.of(RoutesNotSent, B_ADDR)))
        assert a.speaker.peer_status(B_ADDR).unsent == {
            (IPV6_UNICAST, P6): "family ipv6-unicast not negotiated"}


@pytest.mark.asyncio
async def test_a_failed_connection_is_the_last_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind((A_ADDR, 0))
        port = probe.getsockname()[1]
    speaker = Speaker(B_AS, B_ID)
    await speaker.start()
    try:
        await speaker.add_peer(PeerSpec(A_ADDR, config(B_AS, A_AS, B_ID), TransportOptions(
            local_address=B_ADDR, remote_port=port)))
        await wait_for(lambda: speaker.peer_status(A_ADDR).last_error != "")
        assert speaker.peer_status(A_ADDR).last_error.startswith("connection failed: ")
    finally:
        await speaker.close()


async def _v6_pair(a: Watched, b: Watched, *, b_extended: bool) -> None:
    # both ends are ::1, which a receiver refuses as a next hop (its own address): A's IPv6
    # next hop is configured instead of its address on the connection
    a_spec = PeerSpec("::1", config(A_AS, B_AS, A_ID), passive=True, extended_next_hop=True,
                      next_hop6=V6_HOP)
    await a.speaker.add_peer(a_spec)
    await b.speaker.add_peer(PeerSpec("::1", config(B_AS, A_AS, B_ID), TransportOptions(
        remote_port=a.speaker.listen_ports[0]), extended_next_hop=b_extended))
    await established(a, "::1")


@pytest.mark.asyncio
async def test_ipv4_routes_go_over_an_ipv6_next_hop_where_both_announced_rfc_8950() -> None:
    async with speakers(listen="::1") as (a, b):
        await _v6_pair(a, b, b_extended=True)
        a.speaker.announce(P4)
        rib = b.speaker.adj_rib_in("::1")
        await wait_for(lambda: rib.get(IPV4_UNICAST, P4) is not None)
        route = rib.get(IPV4_UNICAST, P4)
        assert route is not None and route.next_hop == V6_HOP
        assert a.speaker.peer_status("::1").unsent == {}


@pytest.mark.asyncio
async def test_without_extended_next_hop_an_ipv4_route_over_ipv6_is_not_sent() -> None:
    async with speakers(listen="::1") as (a, b):
        await _v6_pair(a, b, b_extended=False)
        a.speaker.announce(P4)
        a.speaker.announce(P6)
        await wait_for(lambda: b.speaker.adj_rib_in("::1").get(IPV6_UNICAST, P6) is not None)
        assert a.speaker.peer_status("::1").unsent == {
            (IPV4_UNICAST, P4): "no IPv4 next hop: IPv6 transport and no next_hop configured"}
        # a next hop given with the route is not enough either: the peer cannot take it
        a.speaker.announce(P4, next_hop=IPv6Address("2001:db8::7"))
        await wait_for(lambda: len(a.of(RoutesNotSent, "::1")) == 2)
        assert "did not announce Extended Next Hop" in a.of(RoutesNotSent, "::1")[1].reason
        a.speaker.announce(P4, next_hop=IPv4Address("192.0.2.7"))
        await wait_for(lambda: b.speaker.adj_rib_in("::1").get(IPV4_UNICAST, P4) is not None)
        assert a.speaker.peer_status("::1").unsent == {}


@pytest.mark.asyncio
async def test_a_next_hop_shared_by_both_ends_of_a_loopback_session_is_the_peers() -> None:
    """Over ::1 both ends have the same address: the route's next hop (the sender's address
    on the connection) is also the receiver's, and is kept; from any other peer our own
    address as next hop is ignored (tests/test_rib_in_next_hop.py)."""
    async with speakers(listen="::1") as (a, b):
        await a.speaker.add_peer(PeerSpec("::1", config(A_AS, B_AS, A_ID), passive=True))
        await b.speaker.add_peer(PeerSpec("::1", config(B_AS, A_AS, B_ID), TransportOptions(
            remote_port=a.speaker.listen_ports[0])))
        a.speaker.announce(P6)
        rib = b.speaker.adj_rib_in("::1")
        await wait_for(lambda: rib.get(IPV6_UNICAST, P6) is not None)
        route = rib.get(IPV6_UNICAST, P6)
        assert route is not None and route.next_hop == IPv6Address("::1")
        assert rib.local_addresses == frozenset()
