"""The announcer against FRR, GoBGP and BIRD: a dual-stack service's routes, edits, deletion.

One announcer per router, with two BGPPeers towards it: iBGP (``myASN`` = the router's AS) and
eBGP (``myASN`` 64999), each from its own source address to its own router address. Two
advertisements select the one dual-stack pool: ``hosts`` (/32 and /128, localPref 150, a
community and a large community) and ``blocks`` (/28 and /124, no localPref, another
community). So every service address gives two routes per family, and services whose
addresses share a block share that route.

Each test walks through one announcer's life: routes in, an advertisement edited (file change
only), a service's addresses moved (file change), a service deleted (SIGHUP), an invalid
edit refused as a whole; after each step it compares the router's whole table from each
session with what the manifests ask for. No step may reset a session.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest

from tests.interop.announcer import (
    EBGP_AS,
    ROUTER_AS,
    ROUTERS,
    Announcer,
    AnnouncerLab,
    advertisement,
    bgp_peer,
    lab_fixture,
    missing_binaries,
    node,
    pool,
    running,
    service,
    wait_until,
    write_manifests,
)
from tests.interop.daemons import Daemon, Neighbor, started
from tests.interop.frr import FRR
from tests.interop.procs import Route

pytestmark = pytest.mark.interop

ROUTER_HOSTS = {"frr": 21, "gobgp": 22, "bird": 23}
EBGP_ROUTER_HOSTS = {"frr": 31, "gobgp": 32, "bird": 33}
"""Each router's address for the eBGP session: two BGPPeers of one node may not share a
peerAddress (rule 4), so the router is reached at two addresses."""
SOURCE_HOSTS = {"frr": (111, 112), "gobgp": (121, 122), "bird": (131, 132)}
"""The announcer's iBGP and eBGP source address (last octet) towards each router."""
HOST_COMMUNITY, HOST_LARGE, BLOCK_COMMUNITY, EDITED_BLOCK_COMMUNITY = (
    "65010:100", "65010:1:2", "65010:200", "65010:201")
HOST_LOCAL_PREF = 150
DEFAULT_LOCAL_PREF = 100
"""What an iBGP route gets when its advertisement sets no localPref (RFC 4271 needs one)."""
BIRD_EBGP_LOCAL_PREF = 100
"""BIRD gives every route it imports over eBGP its default LOCAL_PREF."""
BLOCK_LENGTHS = (28, 124)
STAMP_GAP = 2.1
"""Seconds between the last change and the reading of FRR's stamps (see :func:`_stamps`)."""

Services = dict[str, tuple[str, str]]
FIRST: Services = {"web": ("198.51.100.10", "2001:db8:100::10"),
                   "api": ("198.51.100.20", "2001:db8:100::20"),
                   "db": ("198.51.100.21", "2001:db8:100::21")}
"""``api`` and ``db`` share their blocks (198.51.100.16/28, 2001:db8:100::20/124)."""
MOVED: Services = {**FIRST, "api": ("198.51.100.25", "2001:db8:100::25")}
WITHOUT_WEB: Services = {name: ips for name, ips in MOVED.items() if name != "web"}


lab = lab_fixture("r", [host for pair in SOURCE_HOSTS.values() for host in pair],
                  [*ROUTER_HOSTS.values(), *EBGP_ROUTER_HOSTS.values()])


@pytest.fixture(scope="module")
def routers(lab: AnnouncerLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        dict[str, Daemon]]:
    """Every installed router, each expecting the announcer's iBGP and eBGP source."""
    work = tmp_path_factory.mktemp("announcer-routers")
    work.chmod(0o755)
    made: dict[str, Daemon] = {}
    for name, cls in ROUTERS.items():
        if missing_binaries(name):
            continue
        ibgp, ebgp = (lab.addresses.v4(host) for host in SOURCE_HOSTS[name])
        host, second = lab.addresses.v4(ROUTER_HOSTS[name]), ebgp_address(lab, name)
        made[name] = cls(lab.router_ns, work / name, host,
                            lab.addresses.v6(ROUTER_HOSTS[name]),
                            [Neighbor(ibgp, ROUTER_AS), Neighbor(ebgp, EBGP_AS, local=second)],
                            extra_addresses=[second])
    with started(*made.values()):
        yield made


def ebgp_address(lab: AnnouncerLab, name: str) -> str:
    return lab.addresses.v4(EBGP_ROUTER_HOSTS[name])


def manifests(router: Daemon, lab: AnnouncerLab, services: Services,
              block_community: str = BLOCK_COMMUNITY) -> list[dict[str, Any]]:
    ibgp, ebgp = (lab.addresses.v4(host) for host in SOURCE_HOSTS[router.name])
    return [
        node(),
        pool("dual", "198.51.100.0/24", "2001:db8:100::/120"),
        advertisement("hosts", ["dual"], aggregation_length=32, aggregation_length_v6=128,
                      local_pref=HOST_LOCAL_PREF,
                      communities=[HOST_COMMUNITY, f"large:{HOST_LARGE}"]),
        advertisement("blocks", ["dual"], aggregation_length=BLOCK_LENGTHS[0],
                      aggregation_length_v6=BLOCK_LENGTHS[1], communities=[block_community]),
        bgp_peer("ibgp", my_asn=ROUTER_AS, peer_asn=ROUTER_AS, peer_address=router.address4,
                 source_address=ibgp),
        bgp_peer("ebgp", my_asn=EBGP_AS, peer_asn=ROUTER_AS,
                 peer_address=ebgp_address(lab, router.name),
                 source_address=ebgp),
        *(service(name, ips) for name, ips in services.items()),
    ]


def expected(services: Services, next_hop4: str, next_hop6: str, internal: bool, *,
             block_community: str = BLOCK_COMMUNITY,
             ebgp_local_pref: int | None = None) -> dict[str, Route]:
    """The routes a router should hold from one session, by prefix.

    ``ebgp_local_pref`` is what the router shows on eBGP routes, which carry no LOCAL_PREF:
    nothing for FRR and GoBGP (GoBGP's Adj-RIB-In shows the attributes as received, so it
    proves none was sent), BIRD's own default for every eBGP route it imports."""
    routes = {}
    for addresses in services.values():
        for address, hop, block in zip(addresses, (next_hop4, next_hop6), BLOCK_LENGTHS,
                                       strict=True):
            host = str(ip_network(address))
            routes[host] = Route(host, hop, HOST_LOCAL_PREF if internal else ebgp_local_pref,
                                 frozenset({HOST_COMMUNITY}), frozenset({HOST_LARGE}))
            prefix = str(ip_network(f"{address}/{block}", strict=False))
            routes[prefix] = Route(prefix, hop,
                                   DEFAULT_LOCAL_PREF if internal else ebgp_local_pref,
                                   frozenset({block_community}))
    return routes


def _router(routers: dict[str, Daemon], name: str) -> Daemon:
    if name not in routers:
        pytest.fail(f"{name} is not installed (missing {', '.join(missing_binaries(name))})")
    return routers[name]


@pytest.mark.parametrize("name", list(ROUTERS))
def test_dual_stack_service_routes_follow_the_files(
    name: str, lab: AnnouncerLab, routers: dict[str, Daemon], tmp_path: Path
) -> None:
    router = _router(routers, name)
    ibgp, ebgp = (lab.addresses.v4(host) for host in SOURCE_HOSTS[name])
    config = tmp_path / "metallb.yaml"
    write_manifests(config, manifests(router, lab, FIRST))
    announcer = Announcer(lab.announcer_ns, tmp_path, [config], state=tmp_path / "state.json")
    watched = [announcer, router]

    def holds(services: Services, block_community: str = BLOCK_COMMUNITY) -> None:
        for source, internal in ((ibgp, True), (ebgp, False)):
            want = expected(services, source, lab.node_v6, internal,
                            block_community=block_community,
                            ebgp_local_pref=BIRD_EBGP_LOCAL_PREF if name == "bird" else None)
            wait_until(f"{name} holds exactly {sorted(want)} from {source}",
                       partial(_holds_exactly, router, source, want), watched)

    with running(announcer):
        announcer.start()
        for source in (ibgp, ebgp):
            wait_until(f"{name} session with {source} Established",
                       partial(router.established, source), watched)
        holds(FIRST)
        status = announcer.status()
        assert {s["name"]: s["state"] for s in status["sessions"]} == {
            "ibgp": "Established", "ebgp": "Established"}
        assert {s["name"]: (s["ips"], s["pool"]) for s in status["services"]} == {
            f"default/{svc}": (list(ips), "dual") for svc, ips in FIRST.items()}
        # 3 services x 2 families x 2 advertisements, api and db sharing both blocks.
        assert all(s["routes_sent"] == 10 for s in status["sessions"]), status["sessions"]
        uptimes = {s["name"]: s["uptime"] for s in status["sessions"]}
        stamps = _stamps(router, ibgp)

        # An advertisement's community changes: only the block routes change.
        write_manifests(config, manifests(router, lab, FIRST, EDITED_BLOCK_COMMUNITY))
        holds(FIRST, EDITED_BLOCK_COMMUNITY)
        _assert_untouched(router, ibgp, stamps, _host_prefixes(FIRST))

        # A service's addresses move: its host routes move, the shared blocks stay.
        stamps = _stamps(router, ibgp)
        write_manifests(config, manifests(router, lab, MOVED, EDITED_BLOCK_COMMUNITY))
        holds(MOVED, EDITED_BLOCK_COMMUNITY)
        unchanged = set(expected(FIRST, ibgp, lab.node_v6, True)) & set(
            expected(MOVED, ibgp, lab.node_v6, True))
        _assert_untouched(router, ibgp, stamps, unchanged)

        # The service is deleted (SIGHUP this time): its routes are withdrawn.
        write_manifests(config, manifests(router, lab, WITHOUT_WEB, EDITED_BLOCK_COMMUNITY))
        announcer.reload()
        holds(WITHOUT_WEB, EDITED_BLOCK_COMMUNITY)
        services = announcer.services()
        assert sorted(services) == ["default/api", "default/db"]
        assert announcer.status()["config"]["valid"] is True

        # An invalid edit (a bad community, and db deleted) is refused as a whole.
        broken = manifests(router, lab, {"api": MOVED["api"]}, "not-a-community")
        write_manifests(config, broken)
        announcer.reload()
        refused = wait_until("the announcer refuses the invalid files",
                             partial(_refused, announcer), watched)
        assert "not-a-community" in str(refused["last_error"]), refused
        holds(WITHOUT_WEB, EDITED_BLOCK_COMMUNITY)
        assert sorted(announcer.services()) == ["default/api", "default/db"]

        # No edit reset a session.
        after = {s["name"]: (s["state"], s["uptime"]) for s in announcer.status()["sessions"]}
        assert all(state == "Established" and uptime > uptimes[name]
                   for name, (state, uptime) in after.items()), (uptimes, after)
        if isinstance(router, FRR):
            for source in (ibgp, ebgp):
                info = router.neighbor_info(source)
                assert info.get("connectionsDropped") == 0, info


def _refused(announcer: Announcer) -> dict[str, Any] | None:
    config: dict[str, Any] = announcer.status()["config"]
    return config if config["valid"] is False and config["failed_reloads"] else None


def _holds_exactly(router: Daemon, neighbor: str, want: dict[str, Route]) -> bool:
    return router.all_announced(neighbor) == want


def _host_prefixes(services: Services) -> set[str]:
    return {str(ip_network(address)) for pair in services.values() for address in pair}


def _stamps(router: Daemon, neighbor: str) -> dict[str, int] | None:
    """When FRR last changed each route from ``neighbor`` (whole seconds); ``None`` for the
    other routers, whose tables show no such time.

    FRR renews the stamp on every UPDATE for a prefix, also one that changes nothing, but
    derives it from two clocks, so a stamp read twice may differ by one second. Waiting
    :data:`STAMP_GAP` before reading makes any route received after the read at least two
    seconds newer than its stamp, which an unchanged route never is."""
    if not isinstance(router, FRR):
        return None
    time.sleep(STAMP_GAP)
    return router.update_stamps(neighbor)


def _assert_untouched(router: Daemon, neighbor: str, stamps: dict[str, int] | None,
                      prefixes: set[str]) -> None:
    """Routes the edit does not concern were not sent again (FRR: the same stamp, give or
    take the one second of :func:`_stamps`)."""
    if stamps is None or not isinstance(router, FRR):
        return
    now = router.update_stamps(neighbor)
    changed = sorted(p for p in prefixes
                     if p not in now or p not in stamps or now[p] - stamps[p] > 1)
    assert not changed, f"routes re-sent although the edit does not concern them: {changed}"
