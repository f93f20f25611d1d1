"""Who may serve whom: pools for a service, peers and advertisements for a node, endpoints.

These are MetalLB's selection rules, kept apart from the allocator and the planner so that both
read one definition:

- a pool with ``serviceAllocation`` serves only the services it names: when it lists
  ``namespaces`` or ``namespaceSelectors`` the service's namespace must be among them or match
  one; when it lists ``serviceSelectors`` one must match the service's labels;
- pools are tried pinned first (a ``serviceAllocation`` that matched), by ``priority`` (lower
  first, unset after every set one), then by name; then every other pool by name. MetalLB walks
  the unpinned pools in Go map order; we use names so that every node gets the same answer;
- a node selects a BGPPeer or a BGPAdvertisement through ``nodeSelectors`` (empty selects all);
  a node labelled ``node.kubernetes.io/exclude-from-external-load-balancers`` announces nothing;
- endpoints decide whether a node announces a service (``externalTrafficPolicy``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bgpwire_announcer.model import (
    AddressPool,
    Advertisement,
    BGPPeer,
    Config,
    EndpointSlice,
    Service,
    any_matches,
)

EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"
"""A node with this label (any value) announces no service, as in MetalLB and Kubernetes."""


# --- pools for a service ----------------------------------------------------------------------


def namespace_table(config: Config) -> dict[str, tuple[tuple[str, str], ...]]:
    """Namespace name -> labels, from the ``v1 Namespace`` documents."""
    table: dict[str, tuple[tuple[str, str], ...]] = {}
    for name, labels in config.namespaces:
        table.setdefault(name, labels)
    return table


def namespace_labels(config: Config, service: Service,
                     table: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
                     ) -> tuple[tuple[str, str], ...]:
    """The labels of the service's namespace: a ``v1 Namespace`` document wins over what the
    loader copied onto the service. ``table`` is :func:`namespace_table`, for callers that ask
    for many services."""
    if table is None:
        table = namespace_table(config)
    return table.get(service.origin.namespace, service.namespace_labels)


def pool_may_serve(pool: AddressPool, service: Service,
                   ns_labels: tuple[tuple[str, str], ...]) -> bool:
    """Whether ``serviceAllocation`` lets ``pool`` give addresses to ``service`` at all (asked or
    not: a pool that may not serve a service is refused even for a requested address)."""
    allocation = pool.service_allocation
    if allocation is None:
        return True
    if allocation.namespaces or allocation.namespace_selectors:
        by_name = service.origin.namespace in allocation.namespaces
        by_label = any(sel.matches(ns_labels) for sel in allocation.namespace_selectors)
        if not (by_name or by_label):
            return False
    if allocation.service_selectors:
        return any(sel.matches(service.labels) for sel in allocation.service_selectors)
    return True


def _rank(pool: AddressPool) -> tuple[int, int, str]:
    """Sort key of MetalLB's pool order: pinned pools by priority (unset last), then the rest;
    names break every tie so the order never depends on the order of documents."""
    allocation = pool.service_allocation
    if allocation is None:
        return (2, 0, pool.name)
    if allocation.priority is not None and allocation.priority > 0:
        return (0, allocation.priority, pool.name)
    return (1, 0, pool.name)


def pools_for_fresh(config: Config, service: Service) -> list[AddressPool]:
    """The pools a fresh allocation may use for ``service``, best first.

    With the ``address-pool`` annotation only that pool (even with ``autoAssign: false``: naming
    it is a request); otherwise every pool with ``autoAssign`` that may serve the service.
    """
    ns_labels = namespace_labels(config, service)
    eligible = [
        pool for pool in config.pools
        if pool_may_serve(pool, service, ns_labels)
        and (pool.name == service.pool if service.pool is not None else pool.auto_assign)
    ]
    return sorted(eligible, key=_rank)


# --- peers and advertisements for a node --------------------------------------------------------


def node_labels(config: Config, node: str) -> tuple[tuple[str, str], ...]:
    """The labels of ``node``, plus ``kubernetes.io/hostname`` as the kubelet sets it (so a
    selector on the hostname works even when the inputs hold no ``v1 Node``)."""
    for candidate in config.nodes:
        if candidate.name == node:
            labels = dict(candidate.labels)
            labels.setdefault("kubernetes.io/hostname", node)
            return tuple(sorted(labels.items()))
    return (("kubernetes.io/hostname", node),)


def node_excluded(labels: tuple[tuple[str, str], ...]) -> bool:
    return any(key == EXCLUDE_LABEL for key, _ in labels)


def peers_for_node(config: Config, labels: tuple[tuple[str, str], ...]) -> list[BGPPeer]:
    """The BGPPeers this node talks to: those whose ``nodeSelectors`` match it."""
    return [peer for peer in config.peers if any_matches(peer.node_selectors, labels)]


def advertisement_selects_pool(advertisement: Advertisement, pool: AddressPool) -> bool:
    """``ipAddressPools`` and ``ipAddressPoolSelectors`` together; neither given means all."""
    if not advertisement.pools and not advertisement.pool_selectors:
        return True
    if pool.name in advertisement.pools:
        return True
    return any(sel.matches(pool.labels) for sel in advertisement.pool_selectors)


def advertisements_for(config: Config, pool: AddressPool,
                       labels: tuple[tuple[str, str], ...]) -> list[Advertisement]:
    """The BGP advertisements that select ``pool`` and whose ``nodeSelectors`` match the node."""
    return [
        adv for adv in config.advertisements
        if adv.bgp and advertisement_selects_pool(adv, pool)
        and any_matches(adv.node_selectors, labels)
    ]


# --- endpoints --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EndpointVerdict:
    """Whether this node announces a service as far as endpoints go; ``reason`` when not."""

    announce: bool
    reason: str | None = None


def slices_by_service(config: Config) -> dict[str, list[EndpointSlice]]:
    grouped: dict[str, list[EndpointSlice]] = {}
    for endpoint_slice in config.endpoint_slices:
        grouped.setdefault(endpoint_slice.service, []).append(endpoint_slice)
    return grouped


def endpoint_verdict(service: Service, slices: list[EndpointSlice], node: str) -> EndpointVerdict:
    """MetalLB's rule: ``Local`` announces only from nodes with a ready (or serving) endpoint;
    ``Cluster`` only while a ready endpoint exists somewhere. Without any slice for the service
    the endpoints are unknown and hold nothing back (a dry run of config alone shows routes)."""
    if not slices:
        return EndpointVerdict(True)
    endpoints = [endpoint for item in slices for endpoint in item.endpoints]
    if service.external_traffic_policy == "Local":
        if any(e.node_name == node and (e.ready or e.serving) for e in endpoints):
            return EndpointVerdict(True)
        return EndpointVerdict(
            False, f"externalTrafficPolicy Local: no ready or serving endpoint on node {node}")
    if any(e.ready for e in endpoints):
        return EndpointVerdict(True)
    return EndpointVerdict(False, "externalTrafficPolicy Cluster: no ready endpoint on any node")
