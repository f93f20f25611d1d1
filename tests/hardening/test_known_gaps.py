"""Deviations from the RFCs found by the hardening tests, in code this suite does not own.

Each test states the behaviour the RFC asks for and is expected to fail until the owner of the
code changes it (``strict``: once fixed, the test passes and the marker must go).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from bgpwire.aio import TransportOptions
from bgpwire.families import IPV4_UNICAST
from bgpwire.fsm import PeerConfig, State
from bgpwire.messages import Notification
from bgpwire.speaker import PeerSpec, Speaker
from tests.hardening import wire
from tests.hardening.arena import (
    HOSTILE_ADDR,
    HOSTILE_AS,
    HOSTILE_HOP,
    HOSTILE_ID,
    TARGET_ADDR,
    TARGET_AS,
    arena,
    hostile_config,
)
from tests.waiting import wait_for

PREFIX, MARK = IPv4Network("198.51.100.0/24"), IPv4Network("192.0.2.0/24")


@pytest.mark.asyncio
@pytest.mark.parametrize("hop", ["0.0.0.0", "224.0.0.1", "255.255.255.255", TARGET_ADDR])
async def test_a_route_with_an_unusable_next_hop_is_not_installed(hop: str) -> None:
    """Fixed: the Adj-RIB-In ignores such routes (RFC 4271 §5.1.3, §6.3)."""
    async with arena() as place:
        hostile = await place.established_hostile()
        rib = place.target.speaker.adj_rib_in(HOSTILE_ADDR)
        await hostile.send(wire.announce(PREFIX, HOSTILE_AS, hop))
        await hostile.send(wire.announce(MARK, HOSTILE_AS, HOSTILE_HOP))
        await wait_for(lambda: rib.get(IPV4_UNICAST, MARK) is not None)
        session = place.hostile_session()
        assert session is not None and session.state is State.ESTABLISHED
        assert rib.get(IPV4_UNICAST, PREFIX) is None


@pytest.mark.asyncio
async def test_a_malformed_local_pref_from_an_external_peer_is_discarded() -> None:
    """Fixed: RFC 7606 §7.5 discards any LOCAL_PREF from an external peer, malformed or not."""
    async with arena() as place:
        hostile = await place.established_hostile()
        rib = place.target.speaker.adj_rib_in(HOSTILE_ADDR)
        bad = wire.attr(wire.WELL_KNOWN, wire.LOCAL_PREF, b"\x00\x00\x01")
        await hostile.send(wire.announce(PREFIX, HOSTILE_AS, HOSTILE_HOP, bad))
        await hostile.send(wire.announce(MARK, HOSTILE_AS, HOSTILE_HOP))
        await wait_for(lambda: rib.get(IPV4_UNICAST, MARK) is not None)
        route = rib.get(IPV4_UNICAST, PREFIX)
        assert route is not None
        assert wire.LOCAL_PREF not in {a.type_code for a in route.attributes}


@pytest.mark.asyncio
async def test_an_error_right_behind_the_keepalive_leaves_the_peer_working() -> None:
    """Fixed: the speaker sends its routes and End-of-RIB only on an Established session."""
    async with arena() as place:
        hostile = await place.hostile()
        await hostile.send(wire.open_message(hostile_config()))
        for _ in range(2):
            await hostile.next_message()
        await hostile.send(wire.keepalive() + wire.message(wire.UPDATE, b"\x00\x00\x00"))
        notification = await hostile.notification()
        assert (notification.code, notification.subcode) == (1, 2)
        session = place.hostile_session()
        assert session is not None
        await wait_for(lambda: session.state is State.ACTIVE)
        again = await place.established_hostile()
        await again.send(wire.announce(PREFIX, HOSTILE_AS, HOSTILE_HOP))
        rib = place.target.speaker.adj_rib_in(HOSTILE_ADDR)
        await wait_for(lambda: rib.get(IPV4_UNICAST, PREFIX) is not None, timeout=3)
        assert not any(isinstance(m, Notification) for m in again.received)



AS4 = HOSTILE_AS.to_bytes(4, "big")
AS_PATH_CASES = {
    # RFC 7607 §2: AS 0 in AS_PATH makes the UPDATE malformed, handled per RFC 7606.
    "AS 0 in AS_PATH (RFC 7607 §2)": b"\x02\x02" + AS4 + bytes(4),
    # RFC 5065 §5: confederation segments from a peer outside our confederation (bgpwire has
    # no confederations, so any peer) make a malformed AS_PATH; RFC 7606 §7.2: withdraw.
    "AS_CONFED_SEQUENCE from an external peer (RFC 5065 §5)": b"\x03\x01" + AS4 + b"\x02\x01"
    + AS4,
}


@pytest.mark.asyncio
@pytest.mark.parametrize("path", list(AS_PATH_CASES.values()), ids=list(AS_PATH_CASES))
async def test_a_malformed_as_path_by_later_rfcs_is_treated_as_withdraw(path: bytes) -> None:
    """Fixed in the Adj-RIB-In (bgpwire/rib/adj_in.py)."""
    async with arena() as place:
        hostile = await place.established_hostile()
        rib = place.target.speaker.adj_rib_in(HOSTILE_ADDR)
        attributes = wire.origin() + wire.attr(wire.WELL_KNOWN, wire.AS_PATH, path)
        await hostile.send(wire.update(attributes=attributes + wire.next_hop(HOSTILE_HOP),
                                       nlri_bytes=wire.nlri(str(PREFIX))))
        await hostile.send(wire.announce(MARK, HOSTILE_AS, HOSTILE_HOP))
        await wait_for(lambda: rib.get(IPV4_UNICAST, MARK) is not None)
        assert rib.get(IPV4_UNICAST, PREFIX) is None


@pytest.mark.asyncio
async def test_a_gtsm_peer_can_connect_to_a_speaker() -> None:
    """Fixed: the Speaker's listeners send their SYN-ACKs with TTL 255."""
    async with arena(hostile_spec={"options": TransportOptions(gtsm_hops=1)}) as place:
        client = Speaker(HOSTILE_AS, HOSTILE_ID)
        await client.start()
        try:
            options = TransportOptions(local_address=HOSTILE_ADDR, remote_port=place.port,
                                       gtsm_hops=1, connect_timeout=2)
            config = PeerConfig(local_as=HOSTILE_AS, peer_as=TARGET_AS, router_id=HOSTILE_ID,
                                connect_retry_time=1, jitter=False)
            await client.add_peer(PeerSpec(TARGET_ADDR, config, options,
                                           next_hop=IPv4Address(HOSTILE_ADDR)))
            session = client.session(TARGET_ADDR)
            assert session is not None
            await wait_for(lambda: session.state is State.ESTABLISHED, timeout=6)
        finally:
            await client.close()
