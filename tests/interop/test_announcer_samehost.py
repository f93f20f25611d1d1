"""Rule 2: a router on the same host, over loopback, is a peer like any other.

Each router (FRR, GoBGP, BIRD) shares ONE namespace with the announcer (made here, one per
router; it stands for a host), as on a node that runs its own router. The host has its own
addresses on an interface ``node0`` (``192.0.2.10``, ``2001:db8:ffff::10``); the sessions run
over loopback only:

* active: the announcer connects from ``127.0.0.2`` to the router on ``127.0.0.4:179``;
* passive (``bgpwire.io/passive``): the announcer listens on ``127.0.0.1:179`` (``--listen``)
  and the router connects to it from ``127.0.0.5``. FRR signs with TCP-MD5 (both sides have the
  password; the announcer's listener must hold the key or the kernel drops FRR's SYNs); the
  GoBGP and BIRD classes configure no password, so theirs is unsigned;
* IPv6 loopback: the announcer connects from ``::1`` to the router on ``[::1]:179``.

The announcer gets no switch for the loopback case, and no router is told to accept loopback
next hops (no ``bgp allow-martian-nexthop`` in FRR). A loopback next hop would be refused (FRR
resets an IPv4 session over a martian next hop and drops ``::1``; GoBGP treats an IPv4 one as
a withdrawal), so the announcer must send the host's own addresses as next hops, found on
``node0`` by itself: ``192.0.2.10`` for IPv4 routes over IPv4 sessions, ``2001:db8:ffff::10``
for IPv6 routes everywhere and for IPv4 routes over the IPv6 session where the router agrees to
RFC 8950. What each router does there:

* FRR (told ``capability extended-nexthop``) and GoBGP (which offers it unasked on an IPv6
  session) take the IPv4 route with the IPv6 next hop;
* BIRD does not offer extended next hop: the IPv4 route cannot go over ``::1``, and status
  lists it as not sent, saying it has no IPv4 next hop, while the IPv6 route arrives.

Only what each router's own class needs for loopback is in its config: FRR
``disable-connected-check``, BIRD ``multihop`` (it refuses a loopback neighbor on a direct
session); BIRD then resolves next hops recursively and, with no route to ``node0`` in its
tables, shows the routes as unreachable, but holds them with the announcer's next hops, which
is what is checked. GoBGP connects out only 5-10 s after it starts, so its passive case takes
that long.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.interop.announcer import (
    EBGP_AS,
    HOST_NODE_V4,
    HOST_NODE_V6,
    ROUTER_AS,
    Announcer,
    advertisement,
    bgp_peer,
    node,
    pool,
    require_daemon,
    running,
    service,
    single_namespace,
    skip_without_namespaces,
    wait_until,
    write_manifests,
)
from tests.interop.bird import BIRD
from tests.interop.daemons import Daemon, Neighbor, started
from tests.interop.frr import FRR
from tests.interop.gobgp import GoBGP
from tests.interop.procs import Route

pytestmark = pytest.mark.interop

ROUTER_ADDRESS = "127.0.0.4"
ROUTER_CONNECTS_FROM = "127.0.0.5"
LOOPBACK6 = "::1"
ANNOUNCER_LISTENS = "127.0.0.1"
ANNOUNCER_CONNECTS_FROM = "127.0.0.2"
SERVICE_IPS = ("198.51.100.77", "2001:db8:77::77")
V4, V6 = f"{SERVICE_IPS[0]}/32", f"{SERVICE_IPS[1]}/128"
PASSWORD = "same-host-key"


@dataclass(frozen=True, slots=True)
class Case:
    """One router on the same host, and what differs between routers."""

    daemon: type[Daemon]
    password: str | None
    """TCP-MD5 on the session the router opens (only the FRR class configures one)."""
    ipv4_over_ipv6: bool
    """The router agrees to RFC 8950, so the IPv4 route goes over the ``::1`` session."""
    local_pref: int | None
    """LOCAL_PREF the router's table shows on an eBGP route (BIRD gives each one 100)."""


CASES = {
    "frr": Case(FRR, PASSWORD, ipv4_over_ipv6=True, local_pref=None),
    "gobgp": Case(GoBGP, None, ipv4_over_ipv6=True, local_pref=None),
    "bird": Case(BIRD, None, ipv4_over_ipv6=False, local_pref=100),
}


@pytest.fixture(scope="module", params=list(CASES))
def router(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """The router in a namespace of its own (each binds ``[::1]:179``)."""
    name: str = request.param
    skip_without_namespaces()
    require_daemon(name)
    case = CASES[name]
    work = tmp_path_factory.mktemp(f"samehost-{name}")
    with single_namespace(f"h{name}") as host:
        made = case.daemon(host, work / name, ROUTER_ADDRESS, LOOPBACK6, [
            Neighbor(ANNOUNCER_CONNECTS_FROM, EBGP_AS),
            Neighbor(ANNOUNCER_LISTENS, EBGP_AS, passive=False, local=ROUTER_CONNECTS_FROM,
                     password=case.password),
            # Read by FRR's class only; GoBGP offers RFC 8950 unasked, BIRD's class never.
            Neighbor(LOOPBACK6, EBGP_AS, extended_next_hop=True),
        ], extra_addresses=[ROUTER_CONNECTS_FROM])
        with started(made):
            yield made


def manifests(name: str, password: str | None) -> list[dict[str, Any]]:
    return [
        node(),
        pool("dual", "198.51.100.64/26", "2001:db8:77::/64"),
        advertisement("all", ["dual"]),
        bgp_peer(f"{name}-active", my_asn=EBGP_AS, peer_asn=ROUTER_AS,
                 peer_address=ROUTER_ADDRESS, source_address=ANNOUNCER_CONNECTS_FROM,
                 connect_time="1s"),
        bgp_peer(f"{name}-passive", my_asn=EBGP_AS, peer_asn=ROUTER_AS,
                 peer_address=ROUTER_CONNECTS_FROM, passive=True, password=password),
        bgp_peer(f"{name}-v6", my_asn=EBGP_AS, peer_asn=ROUTER_AS, peer_address=LOOPBACK6,
                 source_address=LOOPBACK6, connect_time="1s"),
        service("web", SERVICE_IPS),
    ]


def expected(case: Case) -> dict[str, dict[str, Route]]:
    """The routes the router must hold, by the announcer's address on each session."""
    v6 = Route(V6, HOST_NODE_V6, case.local_pref)
    over_ipv4 = {V4: Route(V4, HOST_NODE_V4, case.local_pref), V6: v6}
    over_ipv6 = {V6: v6}
    if case.ipv4_over_ipv6:
        over_ipv6[V4] = Route(V4, HOST_NODE_V6, case.local_pref)
    return {ANNOUNCER_CONNECTS_FROM: over_ipv4, ANNOUNCER_LISTENS: over_ipv4,
            LOOPBACK6: over_ipv6}


def test_a_router_on_the_same_host_in_active_and_passive_mode(
    router: Daemon, tmp_path: Path
) -> None:
    name = router.name
    case = CASES[name]
    config = tmp_path / "metallb.yaml"
    write_manifests(config, manifests(name, case.password))
    announcer = Announcer(router.namespace, tmp_path, [config],
                          listen=f"{ANNOUNCER_LISTENS}:179")
    watched = [announcer, router]
    with running(announcer):
        announcer.start()
        for neighbor, want in expected(case).items():
            wait_until(f"{name} holds {sorted(want)} from {neighbor}",
                       partial(_holds, router, neighbor, want), watched)
        if isinstance(router, FRR):
            for neighbor in (ANNOUNCER_CONNECTS_FROM, ANNOUNCER_LISTENS, LOOPBACK6):
                info = router.neighbor_info(neighbor)
                assert info.get("connectionsDropped", 0) == 0, info
        sessions = {s["name"]: s for s in announcer.status()["sessions"]}
        states = {key: (s["state"], s["passive"], s["md5"], s["routes_sent"],
                        [item["prefix"] for item in s["not_sent"]])
                  for key, s in sessions.items()}
        withheld = [] if case.ipv4_over_ipv6 else [V4]
        assert states == {
            f"{name}-active": ("Established", False, False, 2, []),
            f"{name}-passive": ("Established", True, case.password is not None, 2, []),
            f"{name}-v6": ("Established", False, False, 2 - len(withheld), withheld),
        }, sessions
        for item in sessions[f"{name}-v6"]["not_sent"]:
            assert "no IPv4 next hop" in item["reason"], sessions[f"{name}-v6"]


def _holds(router: Daemon, neighbor: str, want: dict[str, Route]) -> bool:
    return router.all_announced(neighbor) == want
