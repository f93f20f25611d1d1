"""Graceful Restart as the restarting speaker (RFC 4724 §4.1), on loopback against a Speaker
that helps (keeps our routes as stale while we are away)."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.fsm import GracefulRestartConfig
from bgpwire.messages import Notification
from bgpwire.messages.capabilities import GracefulRestartCapability
from bgpwire.speaker import (
    EndOfRIB,
    PeerDown,
    PeerNotificationReceived,
    PeerNotificationSent,
    PeerUp,
    Speaker,
)
from tests.test_speaker import (
    B_ADDR,
    B_AS,
    B_ID,
    P4,
    P6,
    Watched,
    a_spec_for,
    b_spec,
    established,
    speakers,
)
from tests.waiting import wait_for

GR = GracefulRestartConfig(restart_time=30)
GONE = IPv4Network("203.0.113.0/24")


def restart_capability(up: PeerUp) -> GracefulRestartCapability:
    capability = up.negotiation.remote.capability(GracefulRestartCapability)
    assert capability is not None
    return capability


@pytest.mark.asyncio
async def test_restart_keeps_our_routes_at_the_helper_until_our_end_of_rib() -> None:
    async with speakers() as (a, b):
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS, graceful_restart=GR))
        for prefix in (P4, P6, GONE):
            b.speaker.announce(prefix)
        await b.speaker.add_peer(b_spec(a.speaker, graceful_restart=GR))
        rib = a.speaker.adj_rib_in(B_ADDR)
        await wait_for(lambda: len(rib) == 3)
        assert not restart_capability(a.of(PeerUp, B_ADDR)[0]).restart_state

        # B goes away without a word: A keeps its routes, stale
        await b.speaker.close(graceful=True)
        await wait_for(lambda: len(a.of(PeerDown, B_ADDR)) == 1)
        assert a.of(PeerDown, B_ADDR)[0].notification is None
        assert not a.of(PeerNotificationReceived, B_ADDR)
        assert not b.of(PeerNotificationSent)
        assert len(rib) == 3 and all(route.stale for route in rib)

        # B comes back, restarting: R and F bits in its first OPEN; GONE is not announced again
        again = Watched(Speaker(B_AS, B_ID, restarting=True))
        await again.speaker.start()
        again.start_watching()
        try:
            again.speaker.announce(P4)
            again.speaker.announce(P6)
            eors = len(a.of(EndOfRIB, B_ADDR))
            await again.speaker.add_peer(b_spec(a.speaker, graceful_restart=GR))
            await established(a, B_ADDR, count=2)
            capability = restart_capability(a.of(PeerUp, B_ADDR)[1])
            assert capability.restart_state
            assert {(f.family, f.forwarding_state) for f in capability.families} == {
                (IPV4_UNICAST, True), (IPV6_UNICAST, True)}
            await wait_for(lambda: len(a.of(EndOfRIB, B_ADDR)) >= eors + 2)
            assert rib.get(IPV4_UNICAST, GONE) is None
            assert len(rib) == 2 and not any(route.stale for route in rib)

            # a later reconnection of the same speaker does not claim a restart
            session = a.speaker.session(B_ADDR)
            assert session is not None
            session.abort()
            await established(a, B_ADDR, count=3)
            assert not restart_capability(a.of(PeerUp, B_ADDR)[2]).restart_state
        finally:
            await again.close()


@pytest.mark.asyncio
async def test_restarting_speaker_sets_no_restart_bit_without_graceful_restart() -> None:
    async with speakers() as (a, _):
        b = Watched(Speaker(B_AS, B_ID, restarting=True))
        await b.speaker.start()
        b.start_watching()
        try:
            await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS, graceful_restart=GR))
            await b.speaker.add_peer(b_spec(a.speaker))  # no graceful_restart for this peer
            await established(a, B_ADDR)
            up = a.of(PeerUp, B_ADDR)[0]
            assert up.negotiation.remote.capability(GracefulRestartCapability) is None
        finally:
            await b.close()


@pytest.mark.asyncio
async def test_a_plain_close_still_sends_cease() -> None:
    async with speakers() as (a, b):
        await a.speaker.add_peer(a_spec_for(B_ADDR, B_AS, graceful_restart=GR))
        b.speaker.announce(P4)
        await b.speaker.add_peer(b_spec(a.speaker, graceful_restart=GR))
        await wait_for(lambda: len(a.speaker.adj_rib_in(B_ADDR)) == 1)
        await b.speaker.close("bye")
        await wait_for(lambda: len(a.of(PeerDown, B_ADDR)) == 1)
        notification = a.of(PeerDown, B_ADDR)[0].notification
        assert isinstance(notification, Notification)
        assert notification.shutdown_communication == "bye"
        # both set the N bit: a Cease other than Hard Reset keeps the routes too (RFC 8538 §4)
        assert all(route.stale for route in a.speaker.adj_rib_in(B_ADDR))
