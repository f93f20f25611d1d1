"""The Speaker against FRR: Graceful Restart as the restarting side, IPv4 over an IPv6 next hop.

A bgpd of this module's own (AS 65008, ``.29`` / ``fd99:<n>::29``), as the Graceful Restart
test leaves stale routes behind:

| bgpwire side | session | what |
|---|---|---|
| ``.19`` | IPv4 transport, IPv4 + IPv6 unicast | ``close(graceful=True)``, ``restarting=True`` |
| ``fd99:<n>::79`` | IPv6 transport, IPv4 unicast, ``capability extended-nexthop`` | RFC 8950 |
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from pathlib import Path
from typing import Any, ClassVar

import pytest

from bgpwire import LargeCommunity, parse_community
from bgpwire.aio import TransportOptions
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.fsm import GracefulRestartConfig
from bgpwire.messages.restart_capabilities import GracefulRestartCapability
from bgpwire.rib import route_attributes
from bgpwire.speaker import PeerDown, PeerSpec, PeerUp, Speaker, SpeakerEvent
from tests.interop import speaker
from tests.interop.daemons import BGPWIRE_AS, Plan, started
from tests.interop.netns import Topology, extra_hosts, run_in
from tests.interop.procs import await_for
from tests.interop.speaker import ROUTES4, ROUTES6, peer_config
from tests.interop.test_frr_extra import ExtraFRR

pytestmark = pytest.mark.interop

GR_HOST = 19
ENH_HOST = 79
GR_RESTART_TIME = 60
DOWNTIME_WATCH = 2.0
"""How long FRR's RIB is watched while no bgpwire speaker runs."""
ALL_ROUTES = [("ipv4", p) for p in ROUTES4] + [("ipv6", p) for p in ROUTES6]
KEPT = [("ipv4", ROUTES4[0]), ("ipv6", ROUTES6[0])]
"""Announced again after the restart; the other two are not, so our End-of-RIB removes them."""
DROPPED = [route for route in ALL_ROUTES if route not in KEPT]


class SpeakerFRR(ExtraFRR):
    name: ClassVar[str] = "frr-speaker"
    plan: ClassVar[Plan] = Plan(asn=65008, daemon_host=29, peer_host=GR_HOST, index=8)

    @property
    def enh_peer(self) -> str:
        return self.topology.addresses.v6(ENH_HOST)

    def neighbor_lines(self) -> list[str]:
        gr, enh = self.peer4, self.enh_peer
        return [
            *self.passive_neighbor(gr),
            *self.passive_neighbor(enh, "capability extended-nexthop"),
            " address-family ipv4 unicast",
            f"  neighbor {gr} activate",
            f"  neighbor {enh} activate",
            " exit-address-family",
            " address-family ipv6 unicast",
            f"  neighbor {gr} activate",
            " exit-address-family",
        ]

    def staleness(self, routes: list[tuple[str, str]], neighbor: str) -> dict[
            tuple[str, str], bool]:
        """Whether each route FRR has from ``neighbor`` is stale; routes it lacks are left out."""
        result = {}
        for afi, prefix in routes:
            paths = self.paths(afi, prefix, neighbor)
            if paths:
                result[(afi, prefix)] = bool(paths[0].get("stale", False))
        return result


@pytest.fixture(scope="module")
def speaker_frr(topology: Topology, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        SpeakerFRR]:
    work = tmp_path_factory.mktemp("interop-speaker-frr")
    work.chmod(0o755)
    with extra_hosts(topology, [GR_HOST, ENH_HOST], [SpeakerFRR.plan.daemon_host]):
        frr = SpeakerFRR(topology, Path(work))
        with started(frr):
            yield frr


def attributes() -> Any:
    return route_attributes(
        med=speaker.MED, communities=[parse_community(c) for c in speaker.COMMUNITIES],
        large_communities=[LargeCommunity.parse(c) for c in speaker.LARGE_COMMUNITIES])


def announce(on: Speaker, routes: list[tuple[str, str]]) -> None:
    on.announce_many([IPv4Network(p) for afi, p in routes if afi == "ipv4"],
                     attributes=attributes())
    on.announce_many([IPv6Network(p) for afi, p in routes if afi == "ipv6"],
                     attributes=attributes())


class Watch:
    """A speaker and its events, collected by a task."""

    def __init__(self, speaker_: Speaker) -> None:
        self.speaker = speaker_
        self.events: list[SpeakerEvent] = []
        self.task = asyncio.get_running_loop().create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self.speaker.events():
            self.events.append(event)

    def of(self, kind: type[SpeakerEvent]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


def test_restarting_speaker_keeps_its_routes_at_frr_and_refreshes_them(
    speaker_frr: SpeakerFRR, topology: Topology
) -> None:
    frr = speaker_frr
    local4, local6 = frr.peer4, frr.peer6
    restart = GracefulRestartConfig(restart_time=GR_RESTART_TIME)
    spec = PeerSpec(frr.address4, peer_config(frr, graceful_restart=restart),
                    TransportOptions(local_address=local4), next_hop6=IPv6Address(local6))

    def all_fresh() -> bool:
        state = frr.staleness(ALL_ROUTES, local4)
        return len(state) == len(ALL_ROUTES) and not any(state.values())

    async def main() -> None:
        first = Watch(Speaker(BGPWIRE_AS, IPv4Address(local4)))
        await first.speaker.start()
        announce(first.speaker, ALL_ROUTES)
        await first.speaker.add_peer(spec)
        await await_for("FRR has the 4 routes", all_fresh, frr.process)
        up = first.of(PeerUp)[0]
        assert up.negotiation.graceful_restart is not None, "FRR sent no GR capability"
        sent = up.negotiation.local.capability(GracefulRestartCapability)
        assert sent is not None and not sent.restart_state

        await first.speaker.close(graceful=True)  # the "crash": no NOTIFICATION
        assert all(event.notification is None for event in first.of(PeerDown))
        await await_for("FRR sees the session down",
                        lambda: frr.neighbor_state(local4) not in ("Established", "?"),
                        frr.process)
        deadline = time.monotonic() + DOWNTIME_WATCH
        while time.monotonic() < deadline:
            state = await asyncio.to_thread(frr.staleness, ALL_ROUTES, local4)
            assert state == dict.fromkeys(ALL_ROUTES, True), f"while down: {state}"
            await asyncio.sleep(0.2)

        again = Watch(Speaker(BGPWIRE_AS, IPv4Address(local4), restarting=True))
        await again.speaker.start()
        try:
            announce(again.speaker, KEPT)
            await again.speaker.add_peer(spec)
            await await_for(
                "End-of-RIB removed the routes not announced again, the others fresh",
                lambda: frr.staleness(ALL_ROUTES, local4) == dict.fromkeys(KEPT, False),
                frr.process)
            up = again.of(PeerUp)[0]
            sent = up.negotiation.local.capability(GracefulRestartCapability)
            assert sent is not None and sent.restart_state
            assert {(e.family, e.forwarding_state) for e in sent.families} == {
                (IPV4_UNICAST, True), (IPV6_UNICAST, True)}
            want = {prefix: speaker.expected(prefix, local4 if afi == "ipv4" else local6)
                    for afi, prefix in KEPT}
            got = {**frr.routes("ipv4", local4), **frr.routes("ipv6", local4)}
            assert got == want
        finally:
            await again.speaker.close()

    run_in(topology.side_a, main)


def test_ipv4_routes_over_an_ipv6_next_hop_rfc_8950(
    speaker_frr: SpeakerFRR, topology: Topology
) -> None:
    frr = speaker_frr
    local6 = frr.enh_peer
    config = peer_config(frr, families=(IPV4_UNICAST,))
    spec = PeerSpec(frr.address6, config, TransportOptions(local_address=local6),
                    extended_next_hop=True)

    async def main() -> None:
        watch = Watch(Speaker(BGPWIRE_AS, config.router_id))
        await watch.speaker.start()
        try:
            announce(watch.speaker, [("ipv4", p) for p in ROUTES4])
            await watch.speaker.add_peer(spec)
            want = {prefix: speaker.expected(prefix, local6) for prefix in ROUTES4}
            await await_for("FRR has the IPv4 routes over our IPv6 next hop",
                            lambda: frr.routes("ipv4", local6) == want, frr.process)
            status = watch.speaker.peer_status(frr.address6)
            assert status.unsent == {} and status.advertised_by_family == {IPV4_UNICAST: 2}
        finally:
            await watch.speaker.close()

    run_in(topology.side_a, main)
