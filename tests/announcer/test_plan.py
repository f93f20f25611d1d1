"""One node's plan: prefixes, peers, attributes, and the reason for each route held back."""

from __future__ import annotations

import json
from dataclasses import replace

from bgpwire_announcer.allocate import allocate
from bgpwire_announcer.model import (
    CommunityAlias,
    Config,
    Origin,
    PeerPlan,
    Plan,
    RoutePlan,
    ServicePlan,
    WithheldRoute,
)
from bgpwire_announcer.plan import make_plan, plan_json, plan_text, routes_by_peer

from .alloc_builders import (
    DUAL,
    PREFER,
    advertisement,
    endpoints,
    node,
    peer,
    pool,
    selector,
    service,
)

ADV = "BGPAdvertisement/metallb-system"


def plan_of(config: Config, node_name: str = "n1") -> Plan:
    return make_plan(config, node_name, allocate(config, {}))


def test_rule_5_example_both_lengths_each_with_its_own_local_pref() -> None:
    config = Config(pools=(pool("p", "10.20.30.0/24"),),
                    advertisements=(advertisement("a", length=32, local_pref=100),
                                    advertisement("b", length=27)),
                    peers=(peer("ibgp", "10.0.0.1", peer_asn=64500),),
                    services=(service("web", requested=("10.20.30.40",)),))
    plan = plan_of(config)
    assert plan.routes == (
        RoutePlan("10.20.30.32/27", ("ibgp",), None, (), (), ("default/web",)),
        RoutePlan("10.20.30.40/32", ("ibgp",), 100, (), (), ("default/web",)),
    )
    assert plan.withheld == ()


def test_identical_aggregates_are_one_route_with_communities_unioned() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    advertisements=(advertisement("agg", length=24, communities=("65000:100",)),
                                    advertisement("more", length=24,
                                                  communities=("65000:20", "large:1:2:3"))),
                    peers=(peer("up", "192.0.2.1"),),
                    services=(service("a"), service("b")))
    plan = plan_of(config)
    assert plan.routes == (RoutePlan("10.0.0.0/24", ("up",), None, ("65000:20", "65000:100"),
                                     ("1:2:3",), ("default/a", "default/b")),)


def test_one_route_per_peer_and_prefix_and_separate_plans_per_attributes() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    advertisements=(advertisement("both", communities=("65000:1",),
                                                  peers=("p1", "p2")),
                                    advertisement("only-p1", communities=("65000:2",),
                                                  peers=("p1",)),
                                    advertisement("only-p3", communities=("65000:3",),
                                                  peers=("p3",))),
                    peers=(peer("p1", "192.0.2.1"), peer("p2", "192.0.2.2"),
                           peer("p3", "192.0.2.3")),
                    services=(service("a"),))
    plan = plan_of(config)
    assert plan.routes == (
        RoutePlan("10.0.0.0/32", ("p1",), None, ("65000:1", "65000:2"), (), ("default/a",)),
        RoutePlan("10.0.0.0/32", ("p2",), None, ("65000:1",), (), ("default/a",)),
        RoutePlan("10.0.0.0/32", ("p3",), None, ("65000:3",), (), ("default/a",)),
    )
    table = routes_by_peer(plan)
    assert sorted(table) == ["p1", "p2", "p3"]
    assert table["p1"]["10.0.0.0/32"].communities == ("65000:1", "65000:2")
    assert table["p3"]["10.0.0.0/32"].communities == ("65000:3",)


def test_peers_with_the_same_route_share_one_route_plan() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24", "2001:db8::/64"),),
                    advertisements=(advertisement("all", length_v6=64),),
                    peers=(peer("b", "192.0.2.2"), peer("a", "2001:db8:ff::1")),
                    services=(service("s", families=DUAL, policy=PREFER),))
    plan = plan_of(config)
    assert plan.routes == (
        RoutePlan("10.0.0.0/32", ("a", "b"), None, (), (), ("default/s",)),
        RoutePlan("2001:db8::/64", ("a", "b"), None, (), (), ("default/s",)),
    )


def test_community_aliases_resolve() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    advertisements=(advertisement("a", communities=("no-export",)),),
                    communities=(CommunityAlias(Origin("Community", "metallb-system", "c"),
                                                "no-export", "65535:65281"),),
                    peers=(peer("up", "192.0.2.1"),), services=(service("s"),))
    assert plan_of(config).routes[0].communities == ("65535:65281",)


def test_peers_and_advertisements_follow_node_selectors() -> None:
    rack1 = (selector(rack="r1"),)
    rack2 = (selector(rack="r2"),)
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    advertisements=(advertisement("r1-only", nodes=rack1, length=32),
                                    advertisement("everywhere", length=28)),
                    peers=(peer("tor1", "192.0.2.1", nodes=rack1, source="192.0.2.101"),
                           peer("tor2", "192.0.2.1", nodes=rack2, source="192.0.2.102")),
                    nodes=(node("n1", rack="r1"), node("n2", rack="r2")),
                    services=(service("s"),))
    allocations = allocate(config, {})
    one = make_plan(config, "n1", allocations)
    two = make_plan(config, "n2", allocations)
    assert one.services == two.services
    assert [p.name for p in one.peers] == ["tor1"]
    assert [p.name for p in two.peers] == ["tor2"]
    assert [(r.prefix, r.peers) for r in one.routes] == [("10.0.0.0/28", ("tor1",)),
                                                         ("10.0.0.0/32", ("tor1",))]
    assert [(r.prefix, r.peers) for r in two.routes] == [("10.0.0.0/28", ("tor2",))]
    assert two.withheld == (WithheldRoute(
        "10.0.0.0/32", ("default/s",),
        f"{ADV}/r1-only: nodeSelectors do not select node n2"),)


def test_hostname_label_selects_a_node_without_a_node_document() -> None:
    only_n1 = (selector(**{"kubernetes.io/hostname": "n1"}),)
    config = Config(pools=(pool("p", "10.0.0.0/24"),), advertisements=(advertisement("a"),),
                    peers=(peer("up", "192.0.2.1", nodes=only_n1),), services=(service("s"),))
    assert [p.name for p in plan_of(config, "n1").peers] == ["up"]
    assert plan_of(config, "n2").peers == ()
    assert plan_of(config, "n2").withheld[0].reason == "no BGPPeer selects node n2"


def test_advertisement_peers_not_on_this_node_hold_the_route_back() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    advertisements=(advertisement("a", peers=("far",)),),
                    peers=(peer("near", "192.0.2.1"),
                           peer("far", "192.0.2.9", nodes=(selector(rack="r9"),))),
                    services=(service("s"),))
    plan = plan_of(config)
    assert plan.routes == ()
    assert plan.withheld == (WithheldRoute(
        "10.0.0.0/32", ("default/s",),
        f"{ADV}/a: none of its peers (far) is a BGPPeer of node n1"),)


def test_a_pool_no_advertisement_selects_is_reported() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"), pool("q", "10.1.0.0/24")),
                    advertisements=(advertisement("a", pools=("p",)),
                                    advertisement("l2", bgp=False)),
                    peers=(peer("up", "192.0.2.1"),),
                    services=(service("s", pool_name="q"),))
    assert plan_of(config).withheld == (
        WithheldRoute("10.1.0.0/32", ("default/s",), "no BGPAdvertisement selects pool q"),)


def test_pool_selectors_pick_pools_by_label() -> None:
    base = Config(pools=(pool("p", "10.0.0.0/24", labels=(("bgp", "yes"),)),),
                  peers=(peer("up", "192.0.2.1"),), services=(service("s"),))
    by_name = replace(base, advertisements=(advertisement("x", pools=("other",)),))
    assert plan_of(by_name).routes == ()
    by_label = replace(advertisement("y"), pool_selectors=(selector(bgp="yes"),))
    assert [r.prefix for r in plan_of(replace(base, advertisements=(by_label,))).routes] == [
        "10.0.0.0/32"]


# --- which nodes announce ----------------------------------------------------------------------


def _endpoint_config(traffic: str, *members: tuple[str, bool, bool]) -> Config:
    return Config(pools=(pool("p", "10.0.0.0/24"),), advertisements=(advertisement("a"),),
                  peers=(peer("up", "192.0.2.1"),),
                  services=(service("s", traffic=traffic),),
                  endpoint_slices=(endpoints("default/s", *members),) if members else ())


def test_local_policy_announces_only_from_nodes_with_a_ready_or_serving_endpoint() -> None:
    config = _endpoint_config("Local", ("n1", True, True), ("n2", False, True),
                              ("n3", False, False))
    assert len(plan_of(config, "n1").routes) == 1
    assert len(plan_of(config, "n2").routes) == 1
    three = plan_of(config, "n3")
    assert three.routes == ()
    reason = "externalTrafficPolicy Local: no ready or serving endpoint on node n3"
    assert three.withheld == (WithheldRoute("10.0.0.0/32", ("default/s",), reason),)
    assert three.services[0].notes == (f"not announced from node n3: {reason}",)


def test_cluster_policy_announces_everywhere_while_a_ready_endpoint_exists() -> None:
    ready = _endpoint_config("Cluster", ("n2", True, True))
    assert len(plan_of(ready, "n1").routes) == 1
    none_ready = _endpoint_config("Cluster", ("n2", False, True))
    plan = plan_of(none_ready, "n1")
    assert plan.routes == ()
    assert plan.withheld[0].reason == (
        "externalTrafficPolicy Cluster: no ready endpoint on any node")


def test_without_endpoint_slices_endpoints_are_unknown_and_hold_nothing_back() -> None:
    assert len(plan_of(_endpoint_config("Local"), "n1").routes) == 1


def test_an_empty_slice_means_no_endpoints() -> None:
    config = replace(_endpoint_config("Cluster"), endpoint_slices=(endpoints("default/s"),))
    assert plan_of(config).routes == ()


def test_excluded_node_announces_nothing() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),), advertisements=(advertisement("a"),),
                    peers=(peer("up", "192.0.2.1"),),
                    nodes=(node("n1", **{
                        "node.kubernetes.io/exclude-from-external-load-balancers": ""}),),
                    services=(service("s"), service("t")))
    plan = plan_of(config)
    assert plan.routes == ()
    reason = "node n1 has the label node.kubernetes.io/exclude-from-external-load-balancers"
    assert plan.withheld == (WithheldRoute("10.0.0.0/32", ("default/s",), reason),
                             WithheldRoute("10.0.0.1/32", ("default/t",), reason))
    assert plan.services[0].ips == ("10.0.0.0",)


# --- peers -------------------------------------------------------------------------------------


def test_peer_source_address_problems() -> None:
    config = Config(peers=(peer("here", "192.0.2.1", source="192.0.2.10"),
                           peer("gone", "192.0.2.2", source="192.0.2.99"),
                           peer("forced", "192.0.2.3", source="192.0.2.98", freebind=True),
                           peer("any", "192.0.2.4")))
    plan = make_plan(config, "n1", {}, address_present=lambda address: address == "192.0.2.10")
    assert plan.peers == (
        PeerPlan("any", "192.0.2.4", None, None),
        PeerPlan("forced", "192.0.2.3", "192.0.2.98", None),
        PeerPlan("gone", "192.0.2.2", "192.0.2.99", "source address absent"),
        PeerPlan("here", "192.0.2.1", "192.0.2.10", None),
    )


# --- output forms ------------------------------------------------------------------------------


def _full_config() -> Config:
    return Config(
        pools=(pool("dual", "10.0.0.0/24", "2001:db8::/120"), pool("tiny", "10.9.0.0/32")),
        advertisements=(advertisement("a", local_pref=150, length_v6=120,
                                      communities=("65000:100", "large:1:2:3")),),
        peers=(peer("v4", "192.0.2.1", peer_asn=64500, source="192.0.2.10"),
               peer("v6", "2001:db8:ff::1")),
        services=(service("web", families=("IPv6", "IPv4"), policy=PREFER),
                  service("x", pool_name="tiny"), service("y", pool_name="tiny")))


def test_plan_json_has_the_specified_shape() -> None:
    plan = plan_of(_full_config())
    document = plan_json(plan)
    assert json.loads(json.dumps(document)) == {
        "node": "n1",
        "services": [
            {"name": "default/web", "ips": ["10.0.0.0", "2001:db8::"], "pool": "dual",
             "pending": None},
            {"name": "default/x", "ips": ["10.9.0.0"], "pool": "tiny", "pending": None},
            {"name": "default/y", "ips": [], "pool": None,
             "pending": "no free IPv4 address in pools tiny"},
        ],
        "routes": [
            {"prefix": "10.0.0.0/32", "peers": ["v4", "v6"], "local_pref": 150,
             "communities": ["65000:100"], "large_communities": ["1:2:3"],
             "services": ["default/web"]},
            {"prefix": "10.9.0.0/32", "peers": ["v4", "v6"], "local_pref": 150,
             "communities": ["65000:100"], "large_communities": ["1:2:3"],
             "services": ["default/x"]},
            {"prefix": "2001:db8::/120", "peers": ["v4", "v6"], "local_pref": 150,
             "communities": ["65000:100"], "large_communities": ["1:2:3"],
             "services": ["default/web"]},
        ],
        "peers": [
            {"name": "v4", "address": "192.0.2.1", "source_address": "192.0.2.10",
             "problem": None},
            {"name": "v6", "address": "2001:db8:ff::1", "source_address": None,
             "problem": None},
        ],
    }
    assert plan.services[0] == ServicePlan("default/web", ("10.0.0.0", "2001:db8::"), "dual",
                                           None)
    assert plan.withheld == ()


def test_plan_text_shows_next_hops_withheld_routes_and_peer_problems() -> None:
    config = _full_config()
    plan = make_plan(config, "n1", allocate(config, {}),
                     address_present=lambda address: False)
    text = plan_text(plan)
    assert "  default/web: 10.0.0.0, 2001:db8:: (pool dual)" in text
    assert "  default/y: pending: no free IPv4 address in pools tiny" in text
    assert ("  10.0.0.0/32  local-pref 150 (iBGP peers only); communities 65000:100; "
            "large-communities 1:2:3") in text
    assert "    to v4 next hop 192.0.2.10" in text
    assert "    to v6 next hop the node's IPv4 address" in text
    assert "  2001:db8::/120" in text
    assert "    to v4 next hop the node's global IPv6 address" in text
    assert "    to v6 next hop the session's local address" in text
    assert "  v4 192.0.2.1 source 192.0.2.10  PROBLEM: source address absent" in text
    assert "  v6 2001:db8:ff::1 source the kernel's choice" in text


def test_plan_text_names_the_nodes_address_as_next_hop_over_loopback() -> None:
    config = replace(_full_config(), peers=(peer("lo4", "127.0.0.4", source="127.0.0.2"),
                                            peer("lo6", "::1")))
    text = plan_text(make_plan(config, "n1", allocate(config, {}),
                               address_present=lambda address: True))
    assert "    to lo4 next hop the node's global IPv4 address (the session is over loopback)" \
        in text
    assert "    to lo6 next hop the node's global IPv6 address (the session is over loopback)" \
        in text
    assert "next hop 127." not in text and "next hop ::1" not in text


def test_every_node_and_every_document_order_gives_the_same_services() -> None:
    config = _full_config()
    reordered = Config(pools=tuple(reversed(config.pools)),
                       advertisements=config.advertisements,
                       peers=tuple(reversed(config.peers)),
                       services=tuple(reversed(config.services)))
    first = plan_of(config, "n1")
    assert plan_of(reordered, "n7").services == first.services
    assert plan_of(reordered, "n1") == first


def test_conflicting_local_prefs_validation_would_refuse_still_plan_the_same() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),),
                    advertisements=(advertisement("a", local_pref=200),
                                    advertisement("b", local_pref=100)),
                    peers=(peer("up", "192.0.2.1", peer_asn=64500),), services=(service("s"),))
    assert [r.local_pref for r in plan_of(config).routes] == [200]


def test_services_without_addresses_make_no_routes() -> None:
    config = Config(pools=(pool("p", "10.0.0.0/24"),), advertisements=(advertisement("a"),),
                    peers=(peer("up", "192.0.2.1"),),
                    services=(service("theirs", lb_class="other"),
                              service("bad", requested=("192.0.2.77",))))
    plan = plan_of(config)
    assert plan.routes == () and plan.withheld == ()
    assert [(s.name, s.pending is not None) for s in plan.services] == [
        ("default/bad", True), ("default/theirs", True)]
