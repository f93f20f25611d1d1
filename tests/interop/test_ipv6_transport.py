"""IPv6 routes over an IPv6-transport session, both ways, with FRR and BIRD.

The shared daemons' IPv6-transport neighbors are only brought up (``test_routes``); this module
runs one FRR and one BIRD of its own, each with a single IPv6 neighbor, and checks the routes
carry the right global next hop: bgpwire's source address towards the daemon, the daemon's
address towards bgpwire.

| daemon | AS | daemon side | bgpwire side |
|---|---|---|---|
| FRR | 65006 | ``fd99:<n>::28`` | ``fd99:<n>::18`` |
| BIRD | 65007 | ``fd99:<n>::27`` | ``fd99:<n>::17`` |
"""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv6Address, IPv6Network
from pathlib import Path
from typing import ClassVar

import pytest

from bgpwire import IPV6_UNICAST, MPReachNLRI, pack_announcements
from bgpwire.rib import end_of_rib
from tests.interop import speaker
from tests.interop.bird import LabBIRD
from tests.interop.daemons import BGPWIRE_AS, MED, LabDaemon, Plan, started
from tests.interop.frr import LabFRR
from tests.interop.netns import Topology, extra_hosts, run_in
from tests.interop.procs import RibEntry, await_for
from tests.interop.speaker import ROUTES6, established, peer_config, session_with

pytestmark = pytest.mark.interop


class V6FRR(LabFRR):
    name: ClassVar[str] = "frr-v6"
    plan: ClassVar[Plan] = Plan(asn=65006, daemon_host=28, peer_host=18, index=6)

    def config(self) -> list[str]:
        peer = self.peer6
        return [
            *self.header(*self.originate_map(), "!"),
            *self.passive_neighbor(peer),
            " address-family ipv6 unicast",
            f"  network {self.originated6} route-map ORIGINATE",
            f"  neighbor {peer} activate",
            " exit-address-family",
        ]


class V6BIRD(LabBIRD):
    name: ClassVar[str] = "bird-v6"
    plan: ClassVar[Plan] = Plan(asn=65007, daemon_host=27, peer_host=17, index=7)

    def protocols(self) -> dict[str, str]:
        return {self.peer6: "v6"}

    def ready_addresses(self) -> list[str]:
        return [self.address6]

    def write_config(self) -> None:
        text = f"""
log stderr all;
router id {self.address4};
protocol device {{ }}
{self.originate("6")}protocol bgp v6 {{
  local {self.address6} as {self.plan.asn};
  neighbor {self.peer6} as {BGPWIRE_AS};
  strict bind yes;  # listens on its IPv6 address only
  passive on;
  ipv6 {{ import all; export filter originated; }};
}}
"""
        (self.workdir / "bird.conf").write_text(text)


@pytest.fixture(scope="module")
def v6_daemons(topology: Topology, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        dict[str, LabDaemon]]:
    work = tmp_path_factory.mktemp("interop-v6")
    work.chmod(0o755)
    classes: list[type[V6FRR] | type[V6BIRD]] = [V6FRR, V6BIRD]
    with extra_hosts(topology, [cls.plan.peer_host for cls in classes],
                     [cls.plan.daemon_host for cls in classes]):
        daemons: dict[str, LabDaemon] = {
            cls.name: cls(topology, Path(work) / cls.name) for cls in classes}
        with started(*daemons.values()):
            yield daemons


@pytest.mark.parametrize("name", [V6FRR.name, V6BIRD.name])
def test_ipv6_routes_over_ipv6_transport(
    name: str, v6_daemons: dict[str, LabDaemon], topology: Topology
) -> None:
    daemon = v6_daemons[name]
    local, remote = daemon.peer6, daemon.address6
    want = {prefix: speaker.expected(prefix, local) for prefix in ROUTES6}
    from_daemon = RibEntry(daemon.originated6, remote, (daemon.plan.asn,), MED,
                           frozenset({daemon.community}), frozenset({daemon.large_community}))
    config = peer_config(daemon, families=(IPV6_UNICAST,))

    async def main() -> None:
        async with session_with(daemon, remote=remote, local=local, config=config) as (
                session, recorder):
            up = await recorder.wait("SessionEstablished", established)
            assert up.negotiation.families == (IPV6_UNICAST,)
            assert session.local_address is not None and session.local_address[0] == local
            ctx = up.negotiation.send_ctx
            reach = MPReachNLRI(IPV6_UNICAST, (IPv6Address(local),), ())
            session.send_updates([
                *pack_announcements((*speaker.attributes(), reach),
                                    [IPv6Network(p) for p in ROUTES6], ctx),
                end_of_rib(IPV6_UNICAST)])

            def rib() -> dict[str, RibEntry] | None:
                routes = daemon.routes("ipv6", local)
                return routes if set(want) <= set(routes) else None

            got = await await_for(f"{name} has bgpwire's IPv6 routes", rib, daemon.process)
            assert {p: got[p] for p in want} == want

            received = await recorder.wait(
                f"{name}'s IPv6 route", lambda _: recorder.routes().get(from_daemon.prefix))
            assert received == from_daemon

    run_in(topology.side_a, main)
