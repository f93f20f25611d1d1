"""Checks of :mod:`.validate` on BGPPeers: MetalLB's field rules for each peer, and rule 4 (peers
sharing a ``peerAddress`` select disjoint nodes)."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from bgpwire_announcer.model import DEFAULT_HOLD_TIME, BGPPeer, Config
from bgpwire_announcer.node_sets import NodeSets
from bgpwire_announcer.passwords import password_problem
from bgpwire_announcer.validate_report import FAMILY_NAMES, ProblemReport, ip_or_none

MAX_ASN = 0xFFFFFFFF
MAX_HOLD_TIME = 0xFFFF


def check_peer(peer: BGPPeer, config: Config, report: ProblemReport) -> None:
    origin = [peer.origin]
    for field, asn in (("spec.myASN", peer.my_asn), ("spec.peerASN", peer.peer_asn)):
        if not 1 <= asn <= MAX_ASN:
            report.add(origin, field, asn, f"an ASN must be within 1..{MAX_ASN}")
    address = ip_or_none(peer.peer_address)
    if address is None:
        report.add(origin, "spec.peerAddress", peer.peer_address, "not an IP address")
    if peer.source_address is not None:
        source = ip_or_none(peer.source_address)
        if source is None:
            report.add(origin, "spec.sourceAddress", peer.source_address, "not an IP address")
        elif address is not None and source.version != address.version:
            report.add(origin, "spec.sourceAddress", peer.source_address,
                       f"an {FAMILY_NAMES[source.version]} source cannot reach the "
                       f"{FAMILY_NAMES[address.version]} peerAddress {peer.peer_address}")
    if peer.router_id is not None:
        router_id = ip_or_none(peer.router_id)
        if router_id is None or router_id.version != 4:
            report.add(origin, "spec.routerID", peer.router_id, "must be an IPv4 address")
    if not 1 <= peer.peer_port <= 0xFFFF:
        report.add(origin, "spec.peerPort", peer.peer_port, "must be within 1..65535")
    hold = DEFAULT_HOLD_TIME if peer.hold_time is None else peer.hold_time
    if peer.hold_time is not None and not (hold == 0 or 3 <= hold <= MAX_HOLD_TIME):
        report.add(origin, "spec.holdTime", f"{hold}s",
                   f"must be 0 or within 3s..{MAX_HOLD_TIME}s")
    keepalive = peer.keepalive_time
    if keepalive is not None and keepalive < 0:
        report.add(origin, "spec.keepaliveTime", f"{keepalive}s", "must not be negative")
    elif keepalive is not None and keepalive > hold:
        report.add(origin, "spec.keepaliveTime", f"{keepalive}s",
                   f"must not be above the hold time ({hold}s)")
    if peer.connect_time is not None and not 1 <= peer.connect_time <= 0xFFFF:
        report.add(origin, "spec.connectTime", f"{peer.connect_time}s",
                   "must be within 1s..65535s")
    if peer.ebgp_multihop and peer.internal:
        report.add(origin, "spec.ebgpMultiHop", "true",
                   f"only for eBGP; myASN and peerASN are both {peer.my_asn}")
    if peer.password:  # the loader reads an empty spec.password as none, as MetalLB does
        broken = password_problem(peer.password)
        if broken is not None:
            report.add(origin, "spec.password", *broken)
    if peer.password is not None and peer.password_secret is not None:
        report.add(origin, "spec.passwordSecret", peer.password_secret,
                   "password and passwordSecret are mutually exclusive")
    if peer.bfd_profile is not None and peer.bfd_profile not in {
            profile.origin.name for profile in config.bfd_profiles}:
        report.add(origin, "spec.bfdProfile", peer.bfd_profile, "no BFDProfile of that name")


def check_shared_peer_addresses(config: Config, report: ProblemReport) -> None:
    """Rule 4: BGPPeers with one peerAddress (in one VRF) must select disjoint nodes."""
    groups: dict[tuple[str, str], list[BGPPeer]] = defaultdict(list)
    for peer in config.peers:
        address = ip_or_none(peer.peer_address)
        if address is not None:
            groups[(str(address), peer.vrf or "")].append(peer)
    node_sets = NodeSets(config.nodes)
    for (shared_address, _), peers in groups.items():
        for first, second in combinations(sorted(peers, key=lambda p: p.origin.ref), 2):
            node = node_sets.shared(first.node_selectors, second.node_selectors)
            if node is not None:
                report.add([first.origin, second.origin], "spec.peerAddress", shared_address,
                           f"both peers are selected on {node}; BGPPeers with the same "
                           "peerAddress must select disjoint sets of nodes")
