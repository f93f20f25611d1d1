"""What one node announces: routes, peers and the reason for every route it holds back.

``make_plan(config, node, allocations)`` turns the allocations (the same on every node) into
this node's view:

- each assigned address gives, for each BGP advertisement that selects its pool, the prefix of
  the address masked to the advertisement's aggregation length for its family, towards the
  advertisement's ``peers`` (every BGPPeer of this node when it names none);
- a peer receives one route per prefix: when several advertisements or services give the same
  prefix to the same peer their services and communities are merged (validation makes their
  LOCAL_PREF equal; were it not, the highest set one is used so the result stays deterministic);
  peers that end up with the same route share one :class:`~.model.RoutePlan`;
- a route is held back (``withheld``, with the reason) when the node carries the
  ``exclude-from-external-load-balancers`` label, when the service's endpoints say so (see
  :func:`.selection.endpoint_verdict`), when the advertisement's ``nodeSelectors`` leave the node
  out, when none of its peers is a peer of this node, or when no advertisement selects the pool.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bgpwire_announcer import communities
from bgpwire_announcer.allocate import Allocation
from bgpwire_announcer.model import (
    Advertisement,
    BGPPeer,
    Config,
    PeerPlan,
    Plan,
    RoutePlan,
    ServicePlan,
    WithheldRoute,
    any_matches,
)
from bgpwire_announcer.selection import (
    EXCLUDE_LABEL,
    advertisement_selects_pool,
    endpoint_verdict,
    node_excluded,
    node_labels,
    peers_for_node,
    slices_by_service,
)

SOURCE_ABSENT = "source address absent"


def _address_key(address: str) -> tuple[int, int]:
    parsed = ipaddress.ip_address(address)
    return (parsed.version, int(parsed))


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def aggregate(ip: str | Address, advertisement: Advertisement) -> str:
    """The prefix an advertisement announces for ``ip``: the address masked to the
    advertisement's aggregation length for its family."""
    address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    return _aggregate(address, advertisement)[0]


def _aggregate(address: Address, advertisement: Advertisement
               ) -> tuple[str, tuple[int, int, int]]:
    """:func:`aggregate` and its sort key, in integer arithmetic: plans of thousands of
    services build tens of thousands of these."""
    if address.version == 4:
        length, width = advertisement.aggregation_length, 32
    else:
        length, width = advertisement.aggregation_length_v6, 128
    network = int(address) & (((1 << length) - 1) << (width - length))
    return f"{type(address)(network)}/{length}", (address.version, network, length)


@dataclass
class _PeerRoute:
    """What one peer gets for one prefix, gathered from every advertisement and service."""

    local_prefs: set[int] = field(default_factory=set)
    communities: set[str] = field(default_factory=set)
    large: set[str] = field(default_factory=set)
    services: set[str] = field(default_factory=set)


class _Planner:
    def __init__(self, config: Config, node: str) -> None:
        self.config = config
        self.node = node
        self.labels = node_labels(config, node)
        self.peers = sorted(peers_for_node(config, self.labels), key=lambda peer: peer.name)
        self.peer_names = [peer.name for peer in self.peers]
        self.services = {service.key: service for service in config.services}
        self.pools = {pool.name: pool for pool in config.pools}
        self.slices = slices_by_service(config)
        self.per_peer: dict[tuple[str, str], _PeerRoute] = {}
        self.withheld: dict[tuple[str, str], set[str]] = {}
        self.service_notes: dict[str, list[str]] = {}
        self.resolved: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self.order: dict[str, tuple[int, int, int]] = {}
        """Prefix -> its sort key (family, network, length), kept as the prefix is made."""
        self.pool_advertisements: dict[str, list[Advertisement]] = {}

    def hold_back(self, prefix: str, service: str, reason: str) -> None:
        self.withheld.setdefault((prefix, reason), set()).add(service)

    def service_reason(self, key: str) -> str | None:
        """Why this node announces none of the service's routes, if it does not."""
        if node_excluded(self.labels):
            return f"node {self.node} has the label {EXCLUDE_LABEL}"
        service = self.services.get(key)
        if service is None:
            return None
        verdict = endpoint_verdict(service, self.slices.get(key, []), self.node)
        return verdict.reason

    def route_peers(self, advertisement: Advertisement) -> list[str]:
        if not advertisement.peers:
            return list(self.peer_names)
        return [name for name in self.peer_names if name in advertisement.peers]

    def add_service(self, key: str, allocation: Allocation) -> None:
        if allocation.pool is None or allocation.pool not in self.pools:
            return
        pool = self.pools[allocation.pool]
        if pool.name not in self.pool_advertisements:
            self.pool_advertisements[pool.name] = [
                adv for adv in self.config.advertisements
                if adv.bgp and advertisement_selects_pool(adv, pool)]
        advertisements = self.pool_advertisements[pool.name]
        blocked = self.service_reason(key)
        if blocked is not None:
            self.service_notes.setdefault(key, []).append(
                f"not announced from node {self.node}: {blocked}")
        for ip in allocation.ips:
            address = ipaddress.ip_address(ip)
            if not advertisements:
                host = f"{address}/{address.max_prefixlen}"
                self.order[host] = (address.version, int(address), address.max_prefixlen)
                self.hold_back(host, key, f"no BGPAdvertisement selects pool {pool.name}")
            for advertisement in advertisements:
                self.add_route(key, address, advertisement, blocked)

    def add_route(self, key: str, ip: Address, advertisement: Advertisement,
                  blocked: str | None) -> None:
        prefix, order = _aggregate(ip, advertisement)
        self.order[prefix] = order
        if blocked is not None:
            self.hold_back(prefix, key, blocked)
            return
        if not any_matches(advertisement.node_selectors, self.labels):
            self.hold_back(prefix, key, f"{advertisement.origin.ref}: nodeSelectors do not "
                                        f"select node {self.node}")
            return
        peers = self.route_peers(advertisement)
        if not peers:
            if advertisement.peers:
                named = ", ".join(advertisement.peers)
                reason = (f"{advertisement.origin.ref}: none of its peers ({named}) is a "
                          f"BGPPeer of node {self.node}")
            else:
                reason = f"no BGPPeer selects node {self.node}"
            self.hold_back(prefix, key, reason)
            return
        ref = advertisement.origin.ref
        if ref not in self.resolved:
            self.resolved[ref] = communities.resolve(advertisement, self.config)
        standard, large = self.resolved[ref]
        for name in peers:
            route = self.per_peer.setdefault((name, prefix), _PeerRoute())
            if advertisement.local_pref is not None:
                route.local_prefs.add(advertisement.local_pref)
            route.communities.update(standard)
            route.large.update(large)
            route.services.add(key)

    def routes(self) -> tuple[RoutePlan, ...]:
        grouped: dict[tuple[Any, ...], list[str]] = {}
        for (name, prefix), route in self.per_peer.items():
            shape = (
                prefix,
                max(route.local_prefs) if route.local_prefs else None,
                tuple(sorted(route.communities, key=_community_key)),
                tuple(sorted(route.large, key=_community_key)),
                tuple(sorted(route.services)),
            )
            grouped.setdefault(shape, []).append(name)
        plans = [RoutePlan(prefix, tuple(sorted(names)), local_pref, standard, large, services)
                 for (prefix, local_pref, standard, large, services), names in grouped.items()]
        return tuple(sorted(plans, key=lambda plan: (self.order[plan.prefix], plan.peers)))

    def withheld_routes(self) -> tuple[WithheldRoute, ...]:
        held = [WithheldRoute(prefix, tuple(sorted(services)), reason)
                for (prefix, reason), services in self.withheld.items()]
        return tuple(sorted(held, key=lambda item: (self.order[item.prefix], item.reason)))

    def peer_plans(self, address_present: Callable[[str], bool]) -> tuple[PeerPlan, ...]:
        return tuple(_peer_plan(peer, address_present) for peer in self.peers)


def _community_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(":"))


def source_problem(peer: BGPPeer, address_present: Callable[[str], bool]) -> str | None:
    """:data:`SOURCE_ABSENT` when the peer's ``sourceAddress`` is on no interface of this host
    (a ``freebind`` peer binds to it anyway), else ``None``."""
    if (peer.source_address is not None and not peer.freebind
            and not address_present(peer.source_address)):
        return SOURCE_ABSENT
    return None


def _peer_plan(peer: BGPPeer, address_present: Callable[[str], bool]) -> PeerPlan:
    return PeerPlan(peer.name, peer.peer_address, peer.source_address,
                    source_problem(peer, address_present))


def make_plan(config: Config, node: str, allocations: Mapping[str, Allocation], *,
              address_present: Callable[[str], bool] = lambda address: True) -> Plan:
    """This node's plan (see the module docstring). ``address_present`` says whether a source
    address is on a local interface; a peer whose source is absent gets the problem
    ``"source address absent"`` (unless it opts into ``freebind``)."""
    planner = _Planner(config, node)
    for key in sorted(allocations):
        planner.add_service(key, allocations[key])
    services = tuple(
        ServicePlan(key, tuple(sorted(allocation.ips, key=_address_key)), allocation.pool,
                    allocation.pending,
                    (*allocation.notes, *planner.service_notes.get(key, ())))
        for key, allocation in sorted(allocations.items()))
    return Plan(node, services, planner.routes(), planner.peer_plans(address_present),
                planner.withheld_routes())


def routes_by_peer(plan: Plan) -> dict[str, dict[str, RoutePlan]]:
    """Peer name -> prefix -> the route that peer gets (one per prefix, by construction);
    the runtime diffs two plans with it."""
    table: dict[str, dict[str, RoutePlan]] = {peer.name: {} for peer in plan.peers}
    for route in plan.routes:
        for name in route.peers:
            table.setdefault(name, {})[route.prefix] = route
    return table


def plan_json(plan: Plan) -> dict[str, Any]:
    """The ``plan --json`` object, in the shape the specification gives."""
    return {
        "node": plan.node,
        "services": [
            {"name": service.name, "ips": list(service.ips), "pool": service.pool,
             "pending": service.pending}
            for service in plan.services
        ],
        "routes": [
            {"prefix": route.prefix, "peers": list(route.peers), "local_pref": route.local_pref,
             "communities": list(route.communities),
             "large_communities": list(route.large_communities),
             "services": list(route.services)}
            for route in plan.routes
        ],
        "peers": [
            {"name": peer.name, "address": peer.address, "source_address": peer.source_address,
             "problem": peer.problem}
            for peer in plan.peers
        ],
    }


def _next_hop(prefix: str, peer: PeerPlan) -> str:
    """What the next hop will be, as far as the plan knows (the runtime fills in the rest)."""
    prefix_version = ipaddress.ip_network(prefix).version
    transport_version = ipaddress.ip_address(peer.address).version
    if prefix_version == transport_version:
        if ipaddress.ip_address(peer.source_address or peer.address).is_loopback:
            return f"the node's global IPv{prefix_version} address (the session is over loopback)"
        if peer.source_address is not None:
            return peer.source_address
        return "the session's local address"
    if prefix_version == 6:
        return "the node's global IPv6 address"
    return "the node's IPv4 address"


def plan_text(plan: Plan) -> str:
    """A readable form of the plan: services, routes with their next hops, withheld routes
    with reasons, peers with source addresses and problems."""
    peers = {peer.name: peer for peer in plan.peers}
    lines = [f"node {plan.node}", "", "services:"]
    for service in plan.services:
        if service.pending is not None:
            lines.append(f"  {service.name}: pending: {service.pending}")
        else:
            lines.append(f"  {service.name}: {', '.join(service.ips)} (pool {service.pool})")
        lines.extend(f"    note: {note}" for note in service.notes)
    lines += ["", "routes:"]
    if not plan.routes:
        lines.append("  (none)")
    for route in plan.routes:
        attributes = []
        if route.local_pref is not None:
            attributes.append(f"local-pref {route.local_pref} (iBGP peers only)")
        if route.communities:
            attributes.append(f"communities {' '.join(route.communities)}")
        if route.large_communities:
            attributes.append(f"large-communities {' '.join(route.large_communities)}")
        lines.append(f"  {route.prefix}" + (f"  {'; '.join(attributes)}" if attributes else ""))
        lines.append(f"    services: {', '.join(route.services)}")
        for name in route.peers:
            lines.append(f"    to {name} next hop {_next_hop(route.prefix, peers[name])}")
    if plan.withheld:
        lines += ["", "withheld:"]
        for held in plan.withheld:
            lines.append(f"  {held.prefix} ({', '.join(held.services)}): {held.reason}")
    lines += ["", "peers:"]
    if not plan.peers:
        lines.append("  (none)")
    for peer in plan.peers:
        source = peer.source_address or "the kernel's choice"
        problem = f"  PROBLEM: {peer.problem}" if peer.problem else ""
        lines.append(f"  {peer.name} {peer.address} source {source}{problem}")
    return "\n".join(lines) + "\n"

