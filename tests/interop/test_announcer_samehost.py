"""Rule 2: a router on the same host, over loopback, is a peer like any other.

The announcer and FRR share ONE namespace (made here; it stands for a host), as on a node that
runs its own router. The host has its own addresses on an interface ``node0`` (``192.0.2.10``,
``2001:db8:ffff::10``); the sessions run over loopback only:

* active: the announcer connects from ``127.0.0.2`` to FRR on ``127.0.0.4:179``;
* passive (``bgpwire.io/passive``): the announcer listens on ``127.0.0.1:179`` (``--listen``)
  and FRR connects to it from ``127.0.0.5``, signing with TCP-MD5 (both sides have the password;
  the announcer's listener must hold the key or the kernel drops FRR's SYNs);
* IPv6 loopback: the announcer connects from ``::1`` to FRR on ``[::1]:179``.

The announcer gets no switch for the loopback case, and FRR none either (no
``bgp allow-martian-nexthop``): a loopback next hop would be dropped (IPv4: the session is reset
as martian; IPv6: the routes are silently not installed). So the announcer must send the host's
own addresses as next hops, found on ``node0`` by itself: ``192.0.2.10`` for IPv4 routes over
IPv4 sessions, ``2001:db8:ffff::10`` for IPv6 routes everywhere and for IPv4 routes over the
IPv6 session (RFC 8950, which this FRR neighbor offers). Every route must be in FRR's table as
valid.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from tests.interop.daemons import Daemon, Neighbor, started
from tests.interop.frr import FRR
from tests.interop.procs import Route

pytestmark = pytest.mark.interop

FRR_ADDRESS = "127.0.0.4"
FRR_CONNECTS_FROM = "127.0.0.5"
LOOPBACK6 = "::1"
ANNOUNCER_LISTENS = "127.0.0.1"
ANNOUNCER_CONNECTS_FROM = "127.0.0.2"
SERVICE_IPS = ("198.51.100.77", "2001:db8:77::77")
PASSWORD = "same-host-key"


@pytest.fixture(scope="module")
def host() -> Iterator[str]:
    skip_without_namespaces()
    with single_namespace("h") as name:
        yield name


@pytest.fixture(scope="module")
def frr(host: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FRR]:
    require_daemon("frr")
    work = tmp_path_factory.mktemp("samehost")
    router = FRR(host, work / "frr", FRR_ADDRESS, LOOPBACK6, [
        Neighbor(ANNOUNCER_CONNECTS_FROM, EBGP_AS),
        Neighbor(ANNOUNCER_LISTENS, EBGP_AS, passive=False, local=FRR_CONNECTS_FROM,
                 password=PASSWORD),
        Neighbor(LOOPBACK6, EBGP_AS, extended_next_hop=True),
    ])
    with started(router):
        yield router


def manifests() -> list[dict[str, Any]]:
    return [
        node(),
        pool("dual", "198.51.100.64/26", "2001:db8:77::/64"),
        advertisement("all", ["dual"]),
        bgp_peer("frr-active", my_asn=EBGP_AS, peer_asn=ROUTER_AS, peer_address=FRR_ADDRESS,
                 source_address=ANNOUNCER_CONNECTS_FROM, connect_time="1s"),
        bgp_peer("frr-passive", my_asn=EBGP_AS, peer_asn=ROUTER_AS,
                 peer_address=FRR_CONNECTS_FROM, passive=True, password=PASSWORD),
        bgp_peer("frr-v6", my_asn=EBGP_AS, peer_asn=ROUTER_AS, peer_address=LOOPBACK6,
                 source_address=LOOPBACK6, connect_time="1s"),
        service("web", SERVICE_IPS),
    ]


def routes(next_hop4: str, next_hop6: str) -> dict[str, Route]:
    v4, v6 = f"{SERVICE_IPS[0]}/32", f"{SERVICE_IPS[1]}/128"
    return {v4: Route(v4, next_hop4), v6: Route(v6, next_hop6)}


def test_routers_on_the_same_host_in_active_and_passive_mode(
    host: str, frr: FRR, tmp_path: Path
) -> None:
    config = tmp_path / "metallb.yaml"
    write_manifests(config, manifests())
    announcer = Announcer(host, tmp_path, [config], listen=f"{ANNOUNCER_LISTENS}:179")
    watched = [announcer, frr]
    sessions: list[tuple[Daemon, str, dict[str, Route]]] = [
        (frr, ANNOUNCER_CONNECTS_FROM, routes(HOST_NODE_V4, HOST_NODE_V6)),
        (frr, ANNOUNCER_LISTENS, routes(HOST_NODE_V4, HOST_NODE_V6)),
        (frr, LOOPBACK6, routes(HOST_NODE_V6, HOST_NODE_V6)),
    ]
    with running(announcer):
        announcer.start()
        for router, neighbor, want in sessions:
            wait_until(f"{router.name} holds both routes from {neighbor}",
                       partial(_holds, router, neighbor, want), watched)
        for neighbor in (ANNOUNCER_CONNECTS_FROM, ANNOUNCER_LISTENS, LOOPBACK6):
            info = frr.neighbor_info(neighbor)
            assert info.get("connectionsDropped", 0) == 0, info
        states = {s["name"]: (s["state"], s["passive"], s["md5"], s["routes_sent"],
                              s["not_sent"])
                  for s in announcer.status()["sessions"]}
        assert states == {"frr-active": ("Established", False, False, 2, []),
                          "frr-passive": ("Established", True, True, 2, []),
                          "frr-v6": ("Established", False, False, 2, [])}


def _holds(router: Daemon, neighbor: str, want: dict[str, Route]) -> bool:
    return router.all_announced(neighbor) == want
