"""Checks of :mod:`.validate` on objects by themselves: names, repeats, pool entries, Community
aliases, and the ``--node`` that ``check`` was given."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from bgpwire_announcer.communities import CommunityError, parse_value
from bgpwire_announcer.model import AddressPool, Config, Origin
from bgpwire_announcer.pool_entries import PoolEntry, parse_pool_entry
from bgpwire_announcer.validate_report import ProblemReport


def check_names(config: Config, report: ProblemReport) -> None:
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
                   *(o.origin for o in config.endpoint_slices),
                   *(o.origin for o in config.secrets)]:
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


def check_identical(config: Config, report: ProblemReport) -> None:
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


def check_pools(config: Config, report: ProblemReport) -> dict[str, tuple[PoolEntry, ...]]:
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


def check_community_aliases(config: Config, report: ProblemReport) -> None:
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



def check_node(config: Config, node: str | None, report: ProblemReport) -> None:
    """``--node`` must name a Node document, unless there are none: then the node is taken to
    exist with no labels other than what the selection rules give it."""
    if node is None or not config.nodes:
        return
    names = sorted(n.name for n in config.nodes)
    if node not in names:
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        report.add([Origin("Node", "", node)], "--node", node,
                   f"no Node document of that name (known: {shown})")

