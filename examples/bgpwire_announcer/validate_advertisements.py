"""Checks of :mod:`.validate` on BGPAdvertisements: rule 1 (aggregation lengths checked only
against the pools and families an advertisement selects), MetalLB's field rules, and rule 5
(different ``localPref`` never for the same route to the same peer from the same node)."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

from bgpwire_announcer.communities import CommunityError, alias_table, normalise
from bgpwire_announcer.model import AddressPool, Advertisement, Config
from bgpwire_announcer.node_sets import NodeSets
from bgpwire_announcer.pool_entries import PoolEntry
from bgpwire_announcer.selection import EXCLUDE_LABEL, advertisement_selects_pool
from bgpwire_announcer.validate_report import FAMILY_NAMES, ProblemReport

MAX_LOCAL_PREF = 0xFFFFFFFF


def selected_pools(advertisement: Advertisement, config: Config) -> tuple[AddressPool, ...]:
    """The pools an advertisement applies to: those named in ``ipAddressPools`` and those whose
    labels match one of ``ipAddressPoolSelectors``; every pool when it gives neither."""
    return tuple(pool for pool in config.pools if advertisement_selects_pool(advertisement, pool))


def _community_reason(text: str, error: CommunityError) -> str:
    if ":" in text or str(error).startswith("alias"):
        return str(error)
    return ("no Community alias of that name, and not a community a:b (16-bit each) or "
            "large:a:b:c (32-bit each)")


def check_advertisement(advertisement: Advertisement, config: Config,
                         entries: dict[str, tuple[PoolEntry, ...]], report: ProblemReport) -> None:
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


def _families(pools: Iterable[str], entries: dict[str, tuple[PoolEntry, ...]]) -> set[int]:
    return {entry.version for name in pools for entry in entries.get(name, ())}


def _show_pref(value: int | None) -> str:
    return "unset" if value is None else str(value)


def check_local_pref(config: Config, entries: dict[str, tuple[PoolEntry, ...]],
                      report: ProblemReport) -> None:
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
