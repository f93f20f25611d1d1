"""The verdict of ``bgpwire-announcer check``: is a loaded configuration valid, and if not, why.

:func:`validate` applies MetalLB's rules (pool entries, aggregation lengths, communities, ASNs,
timers, ports, ``ebgpMultiHop``, passwords, names) together with the announcer's own rules
that replace the places where MetalLB goes wrong (see ``docs/announcer-config.md``):

- an advertisement is checked only against the pools it selects, and per family only on the
  families those pools hold; L2Advertisements never meet a BGP check (rule 1);
- BGPPeers sharing a ``peerAddress`` must select disjoint nodes; ``sourceAddress`` is an IP of
  the peer's family (rule 4);
- two advertisements with different ``localPref`` must not be able to produce the same route to
  the same peer from the same node (rule 5).

Which pools an advertisement selects and which nodes announce come from :mod:`.selection`, the
same definitions the allocator and the planner use.

The result never depends on the order of files or documents: problems are computed from the
sorted :class:`~.model.Config` and returned sorted and without repeats.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

from .communities import CommunityError, alias_table, normalise, parse_value
from .model import (
    AddressPool,
    Advertisement,
    BGPPeer,
    Config,
    LabelSelector,
    Node,
    Origin,
    Problem,
    SelectorOperator,
    any_matches,
)
from .selection import EXCLUDE_LABEL, advertisement_selects_pool

MAX_ASN = 0xFFFFFFFF
MAX_LOCAL_PREF = 0xFFFFFFFF
MAX_HOLD_TIME = 0xFFFF
DEFAULT_HOLD_TIME = 90
"""MetalLB's hold time when ``holdTime`` is not given (keepalive is checked against it)."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FAMILY_NAMES = {4: "IPv4", 6: "IPv6"}


# --- pool entries ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PoolEntry:
    """One ``spec.addresses`` entry, understood: its family, inclusive integer bounds, and the
    CIDRs it summarises to (a range ``a-b`` becomes the fewest CIDRs covering exactly it)."""

    text: str
    version: int
    first: int
    last: int
    networks: tuple[Network, ...]


def parse_pool_entry(text: str) -> PoolEntry:
    """``10.0.0.0/24`` or ``10.0.0.1-10.0.0.9`` (IPv6 alike); raises ValueError saying why.

    As in MetalLB, a CIDR with host bits set stands for its whole network; a bare address is
    refused (write it as ``/32`` or ``/128``).
    """
    body = text.strip()
    if "-" in body:
        start_text, end_text = (part.strip() for part in body.split("-", 1))
        try:
            start = ipaddress.ip_address(start_text)
            end = ipaddress.ip_address(end_text)
        except ValueError:
            raise ValueError("a range must be two IP addresses joined by '-'") from None
        if start.version != end.version:
            raise ValueError("the two ends of a range must be of the same IP family")
        if int(start) > int(end):
            raise ValueError("the start of a range must not be above its end")
        networks = _summarise(start, end)
        return PoolEntry(text, start.version, int(start), int(end), networks)
    if "/" not in body:
        raise ValueError("expected a CIDR (a single address is written /32 or /128) "
                         "or a range a-b")
    try:
        network = ipaddress.ip_network(body, strict=False)
    except ValueError:
        raise ValueError("not a CIDR such as 10.0.0.0/24 or 2001:db8::/120") from None
    return PoolEntry(text, network.version, int(network.network_address),
                     int(network.broadcast_address), (network,))


def _summarise(start: ipaddress.IPv4Address | ipaddress.IPv6Address,
               end: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[Network, ...]:
    if isinstance(start, ipaddress.IPv4Address) and isinstance(end, ipaddress.IPv4Address):
        return tuple(ipaddress.summarize_address_range(start, end))
    if isinstance(start, ipaddress.IPv6Address) and isinstance(end, ipaddress.IPv6Address):
        return tuple(ipaddress.summarize_address_range(start, end))
    raise ValueError("the two ends of a range must be of the same IP family")


def pool_entries(pool: AddressPool) -> tuple[PoolEntry, ...]:
    """The pool's entries that parse (validation reports the others)."""
    out: list[PoolEntry] = []
    for text in pool.addresses:
        try:
            out.append(parse_pool_entry(text))
        except ValueError:
            continue
    return tuple(out)


def selected_pools(advertisement: Advertisement, config: Config) -> tuple[AddressPool, ...]:
    """The pools an advertisement applies to: those named in ``ipAddressPools`` and those whose
    labels match one of ``ipAddressPoolSelectors``; every pool when it gives neither."""
    return tuple(pool for pool in config.pools if advertisement_selects_pool(advertisement, pool))


# --- node sets ------------------------------------------------------------------------------


def _joint_labels(first: LabelSelector, second: LabelSelector) -> dict[str, str] | None:
    """Labels that both selectors match, or None when no node can satisfy both."""
    wanted: dict[str, set[str] | None] = {}  # key -> allowed values (None: any value)
    refused: dict[str, set[str]] = defaultdict(set)
    absent: set[str] = set()
    requirements: list[tuple[str, SelectorOperator, tuple[str, ...]]]
    requirements = [(key, SelectorOperator.IN, (value,))
                    for selector in (first, second) for key, value in selector.match_labels]
    requirements += [(r.key, r.operator, r.values)
                     for selector in (first, second) for r in selector.match_expressions]
    for key, operator, values in requirements:
        if operator is SelectorOperator.IN:
            before = wanted.get(key)
            wanted[key] = set(values) if before is None else before & set(values)
        elif operator is SelectorOperator.EXISTS:
            wanted.setdefault(key, None)
        elif operator is SelectorOperator.NOT_IN:
            refused[key] |= set(values)
        else:
            absent.add(key)
    labels: dict[str, str] = {}
    for key, allowed in wanted.items():
        if key in absent:
            return None
        if allowed is None:
            labels[key] = next(f"x{n}" for n in range(len(refused[key]) + 1)
                               if f"x{n}" not in refused[key])
        else:
            choices = sorted(allowed - refused[key])
            if not choices:
                return None
            labels[key] = choices[0]
    return labels


def _describe(labels: dict[str, str]) -> str:
    if not labels:
        return "any node (no Node documents given)"
    shown = ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
    return f"a node labelled {shown} (no Node documents given)"


class NodeSets:
    """The known nodes, and for each selector list the names of the nodes it selects (computed
    once per list: rules 4 and 5 compare every pair of peers and of advertisements)."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.labels = {node.name: {"kubernetes.io/hostname": node.name, **dict(node.labels)}
                       for node in nodes}  # the hostname label as the kubelet sets it
        self._selected: dict[tuple[LabelSelector, ...], frozenset[str]] = {}

    def selected(self, selectors: tuple[LabelSelector, ...]) -> frozenset[str]:
        found = self._selected.get(selectors)
        if found is None:
            found = frozenset(name for name, labels in self.labels.items()
                              if any_matches(selectors, labels))
            self._selected[selectors] = found
        return found

    def shared(self, first: tuple[LabelSelector, ...],
               second: tuple[LabelSelector, ...]) -> str | None:
        """A node both lists select, as a message names it, or None when they select disjoint
        sets. With Node documents the known nodes decide; without any, two lists overlap when
        some set of labels satisfies both, since any such node may join the cluster."""
        if self.labels:
            common = self.selected(first) & self.selected(second)
            return f"node {min(common)}" if common else None
        everything = (LabelSelector(),)
        for a in first or everything:
            for b in second or everything:
                joint = _joint_labels(a, b)
                if joint is not None:
                    return _describe(joint)
        return None


def shared_node(first: tuple[LabelSelector, ...], second: tuple[LabelSelector, ...],
                nodes: Sequence[Node]) -> str | None:
    """:meth:`NodeSets.shared` for one pair."""
    return NodeSets(nodes).shared(first, second)


# --- the checks -----------------------------------------------------------------------------


class _Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, origins: Iterable[Origin], field: str, value: object, reason: str) -> None:
        refs = tuple(sorted({origin.ref for origin in origins}))
        self.problems.append(Problem(refs, field, "" if value is None else str(value), reason))


_REFERENCED_BY_NAME = ("IPAddressPool", "BGPPeer", "BFDProfile", "BGPAdvertisement",
                       "L2Advertisement")


def _check_names(config: Config, report: _Report) -> None:
    """One object per name. MetalLB objects are referenced by bare name (MetalLB reads one
    namespace), so the same name in two namespaces is as ambiguous as a repeat."""
    metallb: dict[tuple[str, str], list[Origin]] = defaultdict(list)
    origins_of_kinds = [*(o.origin for o in config.pools),
                        *(o.origin for o in config.advertisements),
                        *(o.origin for o in config.peers),
                        *(o.origin for o in config.bfd_profiles)]
    for origin in origins_of_kinds:
        metallb[(origin.kind, origin.name)].append(origin)
    for (_, name), origins in metallb.items():
        namespaces = sorted({origin.namespace for origin in origins})
        if len(namespaces) > 1:
            report.add(origins, "metadata.name", name,
                       f"the name is used in namespaces {', '.join(namespaces)}; references "
                       "by name would be ambiguous")
        elif len(origins) > 1:
            report.add(origins, "metadata.name", name, f"defined {len(origins)} times")
    cluster: dict[Origin, int] = defaultdict(int)
    for origin in [*(o.origin for o in config.services), *(o.origin for o in config.nodes),
                   *(o.origin for o in config.endpoint_slices)]:
        cluster[replace(origin, file="")] += 1
    for origin, count in cluster.items():
        if count > 1:
            report.add([origin], "metadata.name", origin.name, f"defined {count} times")
    namespace_count: dict[str, int] = defaultdict(int)
    for name, _ in config.namespaces:
        namespace_count[name] += 1
    for name, count in namespace_count.items():
        if count > 1:
            report.add([Origin("Namespace", "", name)], "metadata.labels", name,
                       f"defined {count} times with different labels")


def _check_identical(config: Config, report: _Report) -> None:
    """Two objects with different names but the same content (MetalLB refuses these too)."""
    groups: dict[object, list[Origin]] = defaultdict(list)
    for peer in config.peers:
        groups[replace(peer, origin=Origin(peer.origin.kind, "", ""))].append(peer.origin)
    for advertisement in config.advertisements:
        anonymous = replace(advertisement, origin=Origin(advertisement.origin.kind, "", ""))
        groups[anonymous].append(advertisement.origin)
    for origins in groups.values():
        names = {origin.name for origin in origins}
        if len(names) > 1:
            report.add(origins, "spec", "identical",
                       f"{len(origins)} {origins[0].kind}s have the same spec; keep one")


def _check_pools(config: Config, report: _Report) -> dict[str, tuple[PoolEntry, ...]]:
    """Entries parse; no entry overlaps another, in the same pool or across pools."""
    entries: dict[str, tuple[PoolEntry, ...]] = {}
    owners: list[tuple[PoolEntry, AddressPool]] = []
    for pool in config.pools:
        if not pool.addresses:
            report.add([pool.origin], "spec.addresses", "[]", "a pool needs at least one entry")
        good: list[PoolEntry] = []
        for text in pool.addresses:
            try:
                entry = parse_pool_entry(text)
            except ValueError as error:
                report.add([pool.origin], "spec.addresses", text, str(error))
                continue
            good.append(entry)
            owners.append((entry, pool))
        entries.setdefault(pool.name, tuple(good))
    owners.sort(key=lambda item: (item[0].version, item[0].first, item[0].last,
                                  item[1].origin.ref, item[0].text))
    widest: tuple[PoolEntry, AddressPool] | None = None
    for entry, pool in owners:
        if widest is not None and widest[0].version == entry.version \
                and entry.first <= widest[0].last:
            other_entry, other_pool = widest
            where = ("of the same pool" if other_pool.origin == pool.origin
                     else f"of {other_pool.origin.ref}")
            report.add([pool.origin, other_pool.origin], "spec.addresses", entry.text,
                       f"overlaps {other_entry.text} {where}")
        if widest is None or widest[0].version != entry.version or entry.last > widest[0].last:
            widest = (entry, pool)
    return entries


def _check_community_aliases(config: Config, report: _Report) -> None:
    by_name: dict[str, list[Origin]] = defaultdict(list)
    for alias in config.communities:
        by_name[alias.name].append(alias.origin)
        try:
            parse_value(alias.value)
        except CommunityError as error:
            report.add([alias.origin], f"spec.communities[{alias.name}].value", alias.value,
                       str(error))
    for name, origins in by_name.items():
        if len(origins) > 1:
            report.add(origins, "spec.communities.name", name,
                       f"the alias is defined {len(origins)} times")


def _community_reason(text: str, error: CommunityError) -> str:
    if ":" in text or str(error).startswith("alias"):
        return str(error)
    return ("no Community alias of that name, and not a community a:b (16-bit each) or "
            "large:a:b:c (32-bit each)")


def _check_advertisement(advertisement: Advertisement, config: Config,
                         entries: dict[str, tuple[PoolEntry, ...]], report: _Report) -> None:
    origin = advertisement.origin
    pool_names = {pool.name for pool in config.pools}
    for name in advertisement.pools:
        if name not in pool_names:
            report.add([origin], "spec.ipAddressPools", name, "no IPAddressPool of that name")
    if not advertisement.bgp:
        return  # rule 1: an L2Advertisement never meets a BGP check
    lengths = {4: ("spec.aggregationLength", advertisement.aggregation_length, 32),
               6: ("spec.aggregationLengthV6", advertisement.aggregation_length_v6, 128)}
    usable: dict[int, int] = {}
    for version, (field, length, most) in lengths.items():
        if 1 <= length <= most:
            usable[version] = length
        else:
            report.add([origin], field, length, f"must be within 1..{most}")
    pref = advertisement.local_pref
    if pref is not None and not 0 <= pref <= MAX_LOCAL_PREF:
        report.add([origin], "spec.localPref", pref, f"must be within 0..{MAX_LOCAL_PREF}")
    aliases = alias_table(config)
    for text in advertisement.communities:
        try:
            normalise(text, aliases)
        except CommunityError as error:
            report.add([origin], "spec.communities", text, _community_reason(text, error))
    peer_names = {peer.name for peer in config.peers}
    for name in advertisement.peers:
        if name not in peer_names:
            report.add([origin], "spec.peers", name, "no BGPPeer of that name")
    # Rule 1: only the pools it selects, and per family only the entries of that family.
    for pool in selected_pools(advertisement, config):
        for entry in entries.get(pool.name, ()):
            usable_length = usable.get(entry.version)
            if usable_length is None:
                continue
            length = usable_length
            longest = max(network.prefixlen for network in entry.networks)
            if longest > length:
                field = lengths[entry.version][0]
                summary = "" if "-" not in entry.text else " (summarised into CIDRs)"
                report.add([origin, pool.origin], field, length,
                           f"shorter than the /{longest} prefix of entry {entry.text}"
                           f"{summary}: a /{length} aggregate would cover addresses outside "
                           f"the pool; use at least {longest}")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _check_peer(peer: BGPPeer, config: Config, report: _Report) -> None:
    origin = [peer.origin]
    for field, asn in (("spec.myASN", peer.my_asn), ("spec.peerASN", peer.peer_asn)):
        if not 1 <= asn <= MAX_ASN:
            report.add(origin, field, asn, f"an ASN must be within 1..{MAX_ASN}")
    address = _ip(peer.peer_address)
    if address is None:
        report.add(origin, "spec.peerAddress", peer.peer_address, "not an IP address")
    if peer.source_address is not None:
        source = _ip(peer.source_address)
        if source is None:
            report.add(origin, "spec.sourceAddress", peer.source_address, "not an IP address")
        elif address is not None and source.version != address.version:
            report.add(origin, "spec.sourceAddress", peer.source_address,
                       f"an {FAMILY_NAMES[source.version]} source cannot reach the "
                       f"{FAMILY_NAMES[address.version]} peerAddress {peer.peer_address}")
    if peer.router_id is not None:
        router_id = _ip(peer.router_id)
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
    if peer.password is not None and peer.password_secret is not None:
        report.add(origin, "spec.passwordSecret", peer.password_secret,
                   "password and passwordSecret are mutually exclusive")
    if peer.bfd_profile is not None and peer.bfd_profile not in {
            profile.origin.name for profile in config.bfd_profiles}:
        report.add(origin, "spec.bfdProfile", peer.bfd_profile, "no BFDProfile of that name")


def _check_shared_peer_addresses(config: Config, report: _Report) -> None:
    """Rule 4: BGPPeers with one peerAddress (in one VRF) must select disjoint nodes."""
    groups: dict[tuple[str, str], list[BGPPeer]] = defaultdict(list)
    for peer in config.peers:
        address = _ip(peer.peer_address)
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


def _families(pools: Iterable[str], entries: dict[str, tuple[PoolEntry, ...]]) -> set[int]:
    return {entry.version for name in pools for entry in entries.get(name, ())}


def _show_pref(value: int | None) -> str:
    return "unset" if value is None else str(value)


def _check_local_pref(config: Config, entries: dict[str, tuple[PoolEntry, ...]],
                      report: _Report) -> None:
    """Rule 5: different localPref only where the two can never make the same route to the
    same peer from the same node. An unset localPref differs from every set one (0 included):
    the route would otherwise go out with two LOCAL_PREF values."""
    advertisements = [a for a in config.advertisements if a.bgp]
    selected = {a.origin: {p.name for p in selected_pools(a, config)} for a in advertisements}
    announcing = [node for node in config.nodes
                  if not any(key == EXCLUDE_LABEL for key, _ in node.labels)]
    node_sets = NodeSets(announcing)
    for first, second in combinations(advertisements, 2):
        if first.local_pref == second.local_pref:
            continue
        common = sorted(selected[first.origin] & selected[second.origin])
        if not common:
            continue
        same = sorted(
            version for version in _families(common, entries)
            if (first.aggregation_length, first.aggregation_length_v6)[version == 6]
            == (second.aggregation_length, second.aggregation_length_v6)[version == 6])
        if not same:
            continue
        if first.peers and second.peers and not set(first.peers) & set(second.peers):
            continue
        if config.nodes and not announcing:
            continue  # every known node is excluded: nothing is announced at all
        node = node_sets.shared(first.node_selectors, second.node_selectors)
        if node is None:
            continue
        shared_peers = sorted(set(first.peers) & set(second.peers)) if first.peers and \
            second.peers else sorted(set(first.peers) | set(second.peers))
        towards = f"peer {shared_peers[0]}" if shared_peers else "every peer"
        version = same[0]
        length = (first.aggregation_length, first.aggregation_length_v6)[version == 6]
        report.add([first.origin, second.origin], "spec.localPref",
                   f"{_show_pref(first.local_pref)} vs {_show_pref(second.local_pref)}",
                   f"both select pool {common[0]} and can announce the same "
                   f"{FAMILY_NAMES[version]} /{length} routes to {towards} from {node}; "
                   "differ in aggregation length for that family, in peers or in nodes")


def _check_services(config: Config, entries: dict[str, tuple[PoolEntry, ...]],
                    report: _Report) -> None:
    """Requested addresses are IPs, one per family, inside a pool (the named one when the
    service names one); a named pool exists. Services of another loadBalancerClass are not
    ours and are not checked."""
    pools = {pool.name: pool for pool in config.pools}
    for service in config.services:
        if service.load_balancer_class is not None:
            continue
        origin = [service.origin]
        named = pools.get(service.pool) if service.pool is not None else None
        if service.pool is not None and named is None:
            report.add(origin, "metadata.annotations.metallb.io/address-pool", service.pool,
                       "no IPAddressPool of that name")
        seen: dict[int, str] = {}
        for text in service.requested:
            address = _ip(text)
            if address is None:
                report.add(origin, "loadBalancerIPs", text, "not an IP address")
                continue
            if address.version in seen:
                report.add(origin, "loadBalancerIPs", text,
                           f"a second {FAMILY_NAMES[address.version]} address (after "
                           f"{seen[address.version]}); at most one per family")
                continue
            seen[address.version] = text
            value = int(address)
            holders = [name for name, pool_entries_ in entries.items()
                       if any(e.version == address.version and e.first <= value <= e.last
                              for e in pool_entries_)]
            if named is not None:
                if named.name not in holders:
                    report.add([service.origin, named.origin], "loadBalancerIPs", text,
                               f"not in the requested pool {named.name}")
            elif service.pool is None and not holders:
                report.add(origin, "loadBalancerIPs", text, "not in any IPAddressPool")


def _check_node(config: Config, node: str | None, report: _Report) -> None:
    """``--node`` must name a Node document, unless there are none: then the node is taken to
    exist with no labels other than what the selection rules give it."""
    if node is None or not config.nodes:
        return
    names = sorted(n.name for n in config.nodes)
    if node not in names:
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        report.add([Origin("Node", "", node)], "--node", node,
                   f"no Node document of that name (known: {shown})")


def validate(config: Config, node: str | None = None) -> list[Problem]:
    """Every problem of ``config`` (for ``node``, when given), sorted and without repeats;
    an empty list means valid."""
    report = _Report()
    _check_names(config, report)
    _check_identical(config, report)
    entries = _check_pools(config, report)
    _check_community_aliases(config, report)
    for advertisement in config.advertisements:
        _check_advertisement(advertisement, config, entries, report)
    for peer in config.peers:
        _check_peer(peer, config, report)
    _check_shared_peer_addresses(config, report)
    _check_local_pref(config, entries, report)
    _check_services(config, entries, report)
    _check_node(config, node, report)
    return sorted(set(report.problems))
