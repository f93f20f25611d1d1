"""Short builders of model values for the allocation and plan tests (no YAML involved)."""

from __future__ import annotations

from bgpwire_announcer.model import (
    AddressPool,
    Advertisement,
    BGPPeer,
    Endpoint,
    EndpointSlice,
    IPFamilyPolicy,
    LabelSelector,
    Node,
    Origin,
    Service,
    ServiceAllocation,
)

PREFER = IPFamilyPolicy.PREFER_DUAL_STACK
REQUIRE = IPFamilyPolicy.REQUIRE_DUAL_STACK
SINGLE = IPFamilyPolicy.SINGLE_STACK
DUAL = ("IPv4", "IPv6")


def pool(name: str, *addresses: str, auto_assign: bool = True, avoid_buggy: bool = False,
         allocation: ServiceAllocation | None = None,
         labels: tuple[tuple[str, str], ...] = ()) -> AddressPool:
    return AddressPool(Origin("IPAddressPool", "metallb-system", name), tuple(addresses),
                       auto_assign=auto_assign, avoid_buggy_ips=avoid_buggy,
                       service_allocation=allocation, labels=labels)


def service(name: str, namespace: str = "default", *,
            families: tuple[str, ...] = ("IPv4",), policy: IPFamilyPolicy = SINGLE,
            requested: tuple[str, ...] = (), pool_name: str | None = None,
            shared: str | None = None, lb_class: str | None = None,
            status: tuple[str, ...] = (), traffic: str = "Cluster",
            labels: tuple[tuple[str, str], ...] = ()) -> Service:
    return Service(Origin("Service", namespace, name), families=families, family_policy=policy,
                   requested=requested, pool=pool_name, allow_shared_ip=shared,
                   load_balancer_class=lb_class, status_ips=status,
                   external_traffic_policy=traffic, labels=labels)


def selector(**labels: str) -> LabelSelector:
    return LabelSelector(match_labels=tuple(sorted(labels.items())))


def advertisement(name: str, *, pools: tuple[str, ...] = (), length: int = 32,
                  length_v6: int = 128, local_pref: int | None = None,
                  communities: tuple[str, ...] = (), peers: tuple[str, ...] = (),
                  nodes: tuple[LabelSelector, ...] = (), bgp: bool = True) -> Advertisement:
    return Advertisement(Origin("BGPAdvertisement" if bgp else "L2Advertisement",
                                "metallb-system", name),
                         bgp=bgp, pools=pools, aggregation_length=length,
                         aggregation_length_v6=length_v6, local_pref=local_pref,
                         communities=communities, peers=peers, node_selectors=nodes)


def peer(name: str, address: str, *, my_asn: int = 64500, peer_asn: int = 64501,
         source: str | None = None, nodes: tuple[LabelSelector, ...] = (),
         freebind: bool = False) -> BGPPeer:
    return BGPPeer(Origin("BGPPeer", "metallb-system", name), my_asn=my_asn, peer_asn=peer_asn,
                   peer_address=address, source_address=source, node_selectors=nodes,
                   freebind=freebind)


def node(name: str, **labels: str) -> Node:
    return Node(Origin("Node", "", name), tuple(sorted(labels.items())))


def endpoints(service_key: str, *members: tuple[str, bool, bool]) -> EndpointSlice:
    """An EndpointSlice of ``service_key`` with ``(node, ready, serving)`` endpoints."""
    namespace, name = service_key.split("/")
    return EndpointSlice(Origin("EndpointSlice", namespace, f"{name}-abcde"), service_key,
                         tuple(Endpoint(node_name, ready, serving)
                               for node_name, ready, serving in members))
