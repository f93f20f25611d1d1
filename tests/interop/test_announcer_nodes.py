"""Rule 4 across nodes: two BGPPeers with the same peerAddress, one per node, towards one FRR.

Two announcers run side by side in the announcer namespace, as two nodes of a cluster given the
same files: ``--node node-a`` and ``--node node-b``. BGPPeers ``to-frr-a`` and ``to-frr-b`` both
name FRR's address; their nodeSelectors pick disjoint nodes, and each has its own source address
and ASN. FRR must see each node's session from that node's own source, with the node's ASN,
and hold the service's routes from both (two paths per prefix). Both nodes compute the same
service address from the same files, without talking to each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.interop.announcer import (
    HTTP_PORT,
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
from tests.interop.daemons import Neighbor, started
from tests.interop.frr import FRR
from tests.interop.procs import Route

pytestmark = pytest.mark.interop

FRR_HOST = 21
NODES = {"node-a": (171, 64601), "node-b": (172, 64602)}
"""Each node's source address (last octet) and ASN."""


lab = lab_fixture("n", [host for host, _ in NODES.values()], [FRR_HOST], scope="function")


@pytest.fixture
def frr(lab: AnnouncerLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FRR]:
    require_daemon("frr")
    neighbors = [Neighbor(lab.addresses.v4(host), asn) for host, asn in NODES.values()]
    router = FRR(lab.router_ns, tmp_path_factory.mktemp("nodes-frr"),
                       lab.addresses.v4(FRR_HOST), lab.addresses.v6(FRR_HOST), neighbors)
    with started(router):
        yield router


def manifests(lab: AnnouncerLab, frr: FRR) -> list[dict[str, Any]]:
    peers = [bgp_peer(f"to-frr-{name[-1]}", my_asn=asn, peer_asn=ROUTER_AS,
                      peer_address=frr.address4, source_address=lab.addresses.v4(host),
                      node_labels={"kubernetes.io/hostname": name})
             for name, (host, asn) in NODES.items()]
    return [*(node(name) for name in NODES),
            pool("dual", "198.51.100.128/25", "2001:db8:128::/64"),
            advertisement("all", ["dual"]), *peers, service("web")]


def test_per_node_peers_with_one_peer_address(
    lab: AnnouncerLab, frr: FRR, tmp_path: Path
) -> None:
    config = tmp_path / "metallb.yaml"
    write_manifests(config, manifests(lab, frr))
    announcers = {name: Announcer(lab.announcer_ns, tmp_path / name, [config], node_name=name,
                                  http=f"127.0.0.1:{HTTP_PORT + index}")
                  for index, name in enumerate(NODES)}
    with running(*announcers.values()):
        for announcer in announcers.values():
            announcer.start()
        watched = [*announcers.values(), frr]
        addresses = {name: wait_until(f"{name} has the service's addresses",
                                      partial(_service_ips, announcer), watched)
                     for name, announcer in announcers.items()}
        assert addresses["node-a"] == addresses["node-b"], addresses
        v4, v6 = addresses["node-a"]
        want_prefixes = {f"{v4}/32", f"{v6}/128"}
        for name, (host, asn) in NODES.items():
            source = lab.addresses.v4(host)
            want = {f"{v4}/32": Route(f"{v4}/32", source),
                    f"{v6}/128": Route(f"{v6}/128", lab.node_v6)}
            wait_until(f"FRR holds the routes from {name} ({source})",
                       partial(_holds, frr, source, want), watched)
            info = frr.neighbor_info(source)
            assert (info.get("hostForeign"), info.get("remoteAs")) == (source, asn), info
            sessions = [s["name"] for s in announcers[name].status()["sessions"]]
            assert sessions == [f"to-frr-{name[-1]}"], sessions
        for prefix in want_prefixes:
            afi = "ipv6" if ":" in prefix else "ipv4"
            paths = frr.table(afi)[prefix]
            assert sorted(p["peerId"] for p in paths) == sorted(
                lab.addresses.v4(host) for host, _ in NODES.values()), paths


def _service_ips(announcer: Announcer) -> tuple[str, ...] | None:
    services = announcer.services()
    ips = services.get("default/web", {}).get("ips", [])
    return tuple(ips) if len(ips) == 2 else None


def _holds(frr: FRR, neighbor: str, want: dict[str, Route]) -> bool:
    return frr.all_announced(neighbor) == want
