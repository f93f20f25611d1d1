"""BGPPeers over IPv6 transport: IPv6 routes with the session's address as next hop, and IPv4
routes only where they can have a next hop.

The announcer's node has one global IPv6 address, ``fd99:n::1``; every session here runs from it.

* FRR (told ``capability extended-nexthop``) and GoBGP (which offers it unasked) agree to
  RFC 8950: the IPv4 route goes with the IPv6 next hop ``fd99:n::1``.
* BIRD does not: without ``--next-hop-ipv4`` the IPv4 route cannot go out, and status says so
  for that session only, while the IPv6 route arrives. With ``--next-hop-ipv4 10.99.n.1`` the
  IPv4 route goes with that next hop.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.interop.announcer import (
    EBGP_AS,
    ROUTER_AS,
    Announcer,
    AnnouncerLab,
    advertisement,
    bgp_peer,
    lab_fixture,
    node,
    pool,
    require_daemon,
    running,
    service,
    wait_until,
    write_manifests,
)
from tests.interop.bird import BIRD
from tests.interop.daemons import Daemon, Neighbor, started
from tests.interop.frr import FRR
from tests.interop.gobgp import GoBGP
from tests.interop.procs import Route

pytestmark = pytest.mark.interop

HOSTS = {"frr": 21, "gobgp": 22, "bird": 23}
SERVICE_IPS = ("203.0.113.66", "2001:db8:66::66")
V4, V6 = f"{SERVICE_IPS[0]}/32", f"{SERVICE_IPS[1]}/128"
BIRD_EBGP_LOCAL_PREF = 100
"""BIRD gives every route it imports over eBGP its default LOCAL_PREF."""


lab = lab_fixture("6", [], HOSTS.values())


@pytest.fixture(scope="module")
def routers(lab: AnnouncerLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        dict[str, Daemon]]:
    for name in HOSTS:
        require_daemon(name)
    work = tmp_path_factory.mktemp("ipv6-transport")
    made: dict[str, Daemon] = {}
    for name, cls in (("frr", FRR), ("gobgp", GoBGP), ("bird", BIRD)):
        host = HOSTS[name]
        made[name] = cls(lab.router_ns, work / name, lab.addresses.v4(host),
                         lab.addresses.v6(host),
                         [Neighbor(lab.node_v6, EBGP_AS, extended_next_hop=name == "frr")])
    with started(*made.values()):
        yield made


def manifests(lab: AnnouncerLab, names: list[str]) -> list[dict[str, Any]]:
    return [
        node(),
        pool("dual", "203.0.113.64/26", "2001:db8:66::/64"),
        advertisement("all", ["dual"]),
        *(bgp_peer(name, my_asn=EBGP_AS, peer_asn=ROUTER_AS,
                   peer_address=lab.addresses.v6(HOSTS[name]), source_address=lab.node_v6)
          for name in names),
        service("web", SERVICE_IPS),
    ]


def test_ipv4_routes_over_ipv6_sessions_with_extended_next_hop_or_none(
    lab: AnnouncerLab, routers: dict[str, Daemon], tmp_path: Path
) -> None:
    config = tmp_path / "metallb.yaml"
    write_manifests(config, manifests(lab, list(HOSTS)))
    announcer = Announcer(lab.announcer_ns, tmp_path, [config])
    watched = [announcer, *routers.values()]
    me = lab.node_v6
    ebgp_local_pref = {"frr": None, "gobgp": None, "bird": BIRD_EBGP_LOCAL_PREF}
    with running(announcer):
        announcer.start()
        for name in ("frr", "gobgp"):
            want = {V4: Route(V4, me, ebgp_local_pref[name]),
                    V6: Route(V6, me, ebgp_local_pref[name])}
            wait_until(f"{name} holds both routes, the IPv4 one with an IPv6 next hop",
                       partial(_holds, routers[name], me, want), watched)
            assert announcer.session(name)["not_sent"] == []
        wait_until("BIRD holds the IPv6 route only",
                   partial(_holds, routers["bird"], me, {V6: Route(V6, me, 100)}), watched)
        session = announcer.session("bird")
        assert [item["prefix"] for item in session["not_sent"]] == [V4], session
        assert "next hop" in session["not_sent"][0]["reason"], session


def test_ipv4_routes_over_an_ipv6_session_with_a_configured_next_hop(
    lab: AnnouncerLab, routers: dict[str, Daemon], tmp_path: Path
) -> None:
    bird = routers["bird"]
    config = tmp_path / "metallb.yaml"
    write_manifests(config, manifests(lab, ["bird"]))
    next_hop4 = lab.addresses.v4(1)
    announcer = Announcer(lab.announcer_ns, tmp_path, [config],
                          extra_args=["--next-hop-ipv4", next_hop4])
    me = lab.node_v6
    with running(announcer):
        announcer.start()
        wait_until("BIRD holds both routes",
                   partial(_holds, bird, me, {V4: Route(V4, next_hop4, BIRD_EBGP_LOCAL_PREF),
                                              V6: Route(V6, me, BIRD_EBGP_LOCAL_PREF)}),
                   [announcer, bird])
        assert announcer.session("bird")["not_sent"] == []


def _holds(router: Daemon, neighbor: str, want: dict[str, Route]) -> bool:
    return router.all_announced(neighbor) == want
