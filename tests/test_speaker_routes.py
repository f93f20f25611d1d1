"""Routes originated to one peer, in bulk, and the checks on what the program announces."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network, IPv6Network
from typing import Any

import pytest

from bgpwire.attributes import MultiExitDisc, NextHop
from bgpwire.errors import LocalProtocolError
from bgpwire.families import IPV4_UNICAST
from bgpwire.rib import route_attributes
from bgpwire.speaker import PeerDown, RoutesReceived, Speaker
from tests.test_speaker import (
    A_ADDR,
    A_AS,
    B_ADDR,
    B_AS,
    C_ADDR,
    C_ID,
    P4,
    P6,
    Watched,
    a_spec_for,
    b_spec,
    established,
    speakers,
)
from tests.waiting import wait_for

Q4 = IPv4Network("203.0.113.0/24")
C_AS = B_AS + 1


@contextlib.asynccontextmanager
async def three() -> AsyncIterator[tuple[Watched, Watched, Watched]]:
    """A with two established peers: B (AS 65002, from 127.0.0.2) and C (65003, 127.0.0.3)."""
    async with speakers() as (a, b):
        c = Watched(Speaker(C_AS, C_ID))
        await c.speaker.start()
        c.start_watching()
        try:
            await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS))
            await a.speaker.add_peer(a_spec_for(C_ADDR, C_AS))
            await b.speaker.add_peer(b_spec(a.speaker))
            await c.speaker.add_peer(b_spec(a.speaker, local_as=C_AS, source=C_ADDR,
                                            router_id=C_ID))
            await established(a, B_ADDR)
            await established(a, C_ADDR)
            yield a, b, c
        finally:
            await c.close()


def med_of(w: Watched, prefix: IPv4Network) -> int | None:
    route = w.speaker.adj_rib_in(A_ADDR).get(IPV4_UNICAST, prefix)
    assert route is not None, prefix
    med = route.attr(MultiExitDisc)
    return None if med is None else med.value


def has(w: Watched, prefix: IPv4Network) -> bool:
    return w.speaker.adj_rib_in(A_ADDR).get(IPV4_UNICAST, prefix) is not None


@pytest.mark.asyncio
async def test_a_route_for_one_peer_takes_precedence_there_only() -> None:
    async with three() as (a, b, c):
        a.speaker.announce(P4, attributes=route_attributes(med=1))
        a.speaker.announce(P4, attributes=route_attributes(med=7), peer=B_ADDR)
        a.speaker.announce(Q4, peer=C_ADDR)
        await wait_for(lambda: has(b, P4) and has(c, P4) and has(c, Q4))
        assert (med_of(b, P4), med_of(c, P4)) == (7, 1)
        assert not has(b, Q4)
        assert {r.prefix for r in a.speaker.local_routes(peer=C_ADDR)} == {P4, Q4}
        assert [r.prefix for r in a.speaker.local_routes()] == [P4]

        # withdrawing the shared route leaves B's own; withdrawing B's brings nothing back
        a.speaker.withdraw(P4)
        await wait_for(lambda: not has(c, P4))
        assert med_of(b, P4) == 7
        a.speaker.announce(P4, attributes=route_attributes(med=2))
        a.speaker.withdraw(P4, peer=B_ADDR)  # B falls back to the shared route
        await wait_for(lambda: has(c, P4) and med_of(b, P4) == 2)
        assert med_of(c, P4) == 2


@pytest.mark.asyncio
async def test_routes_of_one_peer_survive_update_peer_and_go_with_remove_peer() -> None:
    async with three() as (a, b, c):
        a.speaker.announce(Q4, peer=B_ADDR)
        await wait_for(lambda: has(b, Q4))
        await a.speaker.update_peer(a_spec_for(B_ADDR, B_AS, max_prefixes=50))
        await wait_for(lambda: len(a.of(PeerDown, B_ADDR)) == 1)
        await established(a, B_ADDR, count=2)
        await wait_for(lambda: has(b, Q4))
        assert not has(c, Q4)
        await a.speaker.remove_peer(B_ADDR)
        assert a.speaker.local_routes(peer=B_ADDR) == []
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS))
        await established(a, B_ADDR, count=3)
        await wait_for(lambda: len(b.speaker.adj_rib_in(A_ADDR).end_of_rib_received) == 2)
        assert not has(b, Q4)


@pytest.mark.asyncio
async def test_a_route_given_before_the_peer_exists_is_sent_when_it_comes() -> None:
    async with speakers() as (a, b):
        a.speaker.announce(Q4, peer="127.0.0.2")
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS))
        await b.speaker.add_peer(b_spec(a.speaker))
        await wait_for(lambda: has(b, Q4))


@pytest.mark.asyncio
async def test_twenty_thousand_routes_go_out_in_few_updates() -> None:
    prefixes = [IPv4Network((0x0A000000 + i, 32)) for i in range(20_000)]
    async with three() as (a, b, c):
        events_before = len(b.of(RoutesReceived, A_ADDR))
        updates_before = b.speaker.peer_status(A_ADDR).updates_received
        a.speaker.announce_many(prefixes, attributes=route_attributes(communities=[0xFDE80064]))
        a.speaker.announce_many(prefixes[:100], peer=C_ADDR)  # C's own for a few
        rib_b, rib_c = b.speaker.adj_rib_in(A_ADDR), c.speaker.adj_rib_in(A_ADDR)
        await wait_for(lambda: len(rib_b) == len(rib_c) == 20_000, timeout=60)
        # a 4096-octet UPDATE holds about 800 /32 prefixes
        updates = b.speaker.peer_status(A_ADDR).updates_received - updates_before
        assert 20_000 // 1000 <= updates <= 20_000 // 700
        # UPDATEs that only bring new routes are told together, each route once
        told = b.of(RoutesReceived, A_ADDR)[events_before:]
        assert 1 <= len(told) <= updates
        assert sorted(route.prefix for event in told for route in event.announced) == prefixes
        a.speaker.withdraw_many(prefixes[:10_000])
        await wait_for(lambda: len(rib_b) == 10_000 and len(rib_c) == 10_100, timeout=60)


@pytest.mark.parametrize(("call", "fragment"), [
    ({"prefix": "198.51.100.0/24"}, "is not an IPv4Network"),
    ({"prefix": P6, "next_hop": IPv4Address("192.0.2.1")}, "IPv4 next hop cannot serve"),
    ({"prefix": P4, "next_hop": "192.0.2.1"}, "next_hop '192.0.2.1'"),
    ({"prefix": P4, "attributes": (NextHop(IPv4Address("192.0.2.1")),)}, "give the next hop"),
    ({"prefix": P4, "peer": "not-an-address"}, "peer 'not-an-address'"),
])
def test_bad_announcements_are_refused_with_the_reason(call: dict[str, Any],
                                                       fragment: str) -> None:
    speaker = Speaker(A_AS, IPv4Address("10.0.0.1"))
    prefix = call.pop("prefix")
    with pytest.raises(LocalProtocolError, match=fragment):
        speaker.announce(prefix, **call)
    assert speaker.local_routes() == []


def test_withdrawing_what_was_never_announced_changes_nothing() -> None:
    speaker = Speaker(A_AS, IPv4Address("10.0.0.1"))
    speaker.announce(P4)
    speaker.withdraw(IPv6Network("2001:db8:1::/48"))
    speaker.withdraw(P4, peer=B_ADDR)
    assert [r.prefix for r in speaker.local_routes()] == [P4]
    assert replace(speaker.local_routes()[0]).key == (IPV4_UNICAST, P4)


def test_equal_attribute_sets_are_kept_once() -> None:
    """Each peer's export recognises attribute sets by identity, so equal ones must be one."""
    speaker = Speaker(A_AS, IPv4Address("10.0.0.1"))
    speaker.announce(P4, attributes=route_attributes(med=3))
    speaker.announce(Q4, attributes=route_attributes(med=3))
    speaker.announce(P6, attributes=route_attributes(med=4))
    first, second, third = speaker.local_routes()
    assert first.attributes is second.attributes
    assert third.attributes is not first.attributes and third.attributes != first.attributes
