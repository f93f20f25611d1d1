"""A BGPPeer as a bgpwire PeerSpec, and a planned route as path attributes."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from bgpwire_announcer.interfaces import router_id_from_name
from bgpwire_announcer.model import BGPPeer, RoutePlan
from bgpwire_announcer.model import Origin as ModelOrigin
from bgpwire_announcer.speakers import (
    DEFAULT_CONNECT_TIME,
    NodeSettings,
    peer_problem,
    peer_spec,
    plan_attributes,
    router_id_for,
)

from bgpwire.attributes import ASPath, Communities, LargeCommunities, LocalPref, Origin
from bgpwire.attributes.communities import LargeCommunity
from bgpwire.constants import OriginCode
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST

NODE = NodeSettings("node-1", next_hop_ipv4=IPv4Address("192.0.2.4"),
                    next_hop_ipv6=IPv6Address("2001:db8::6"))


def bgp_peer(**fields: object) -> BGPPeer:
    values: dict[str, object] = {"origin": ModelOrigin("BGPPeer", "metallb-system", "p"),
                                 "my_asn": 64500, "peer_asn": 64501, "peer_address": "10.0.0.1"}
    values.update(fields)
    return BGPPeer(**values)  # type: ignore[arg-type]


def no_route(_: str) -> IPv4Address | None:
    return None


def test_the_fields_reach_the_session_and_its_socket() -> None:
    spec = peer_spec(bgp_peer(source_address="10.0.0.2", peer_port=1179, hold_time=9,
                              keepalive_time=3, connect_time=2, password="s3cret",
                              ebgp_multihop=True, freebind=True), NODE, no_route)
    assert spec.address == "10.0.0.1"
    assert (spec.config.local_as, spec.config.peer_as) == (64500, 64501)
    assert spec.config.hold_time == 9 and spec.config.keepalive_time == 3
    assert spec.config.connect_retry_time == 2
    assert spec.options.remote_port == 1179 and spec.options.local_address == "10.0.0.2"
    assert spec.options.md5_password == "s3cret" and spec.options.ttl == 255
    assert spec.options.freebind
    assert spec.config.families == (IPV4_UNICAST, IPV6_UNICAST)
    assert spec.config.graceful_restart is None and not spec.passive
    # IPv4 session: its own IPv4 address for IPv4 routes, the node's IPv6 for IPv6 routes.
    assert spec.next_hop is None and spec.next_hop6 == IPv6Address("2001:db8::6")


def test_defaults_and_single_hop_ttl() -> None:
    spec = peer_spec(bgp_peer(), NODE, no_route)
    assert spec.config.hold_time == 90 and spec.config.keepalive_time is None
    assert spec.config.connect_retry_time == DEFAULT_CONNECT_TIME
    assert spec.options.ttl is None and spec.options.md5_password is None


def test_ipv6_session_next_hops_and_disable_mp() -> None:
    spec = peer_spec(bgp_peer(peer_address="2001:db8::1", disable_mp=True, passive=True),
                     NODE, no_route)
    assert spec.config.families == (IPV6_UNICAST,)
    assert spec.next_hop == IPv4Address("192.0.2.4") and spec.next_hop6 is None
    assert spec.extended_next_hop and spec.passive
    v4 = peer_spec(bgp_peer(disable_mp=True), NODE, no_route)
    assert v4.config.families == (IPV4_UNICAST,) and not v4.extended_next_hop


def test_graceful_restart_without_the_notification_bit() -> None:
    graceful = peer_spec(bgp_peer(enable_graceful_restart=True), NODE, no_route)
    assert graceful.config.graceful_restart is not None
    assert graceful.config.graceful_restart.restart_time == 120
    assert not graceful.config.graceful_restart.notification


def test_router_id_order() -> None:
    def towards(_: str) -> IPv4Address:
        return IPv4Address("10.9.9.9")

    settings = NodeSettings("node-1", router_id=IPv4Address("10.1.1.1"))
    assert router_id_for(bgp_peer(router_id="10.0.0.9"), settings, towards) == \
        IPv4Address("10.0.0.9")
    assert router_id_for(bgp_peer(), settings, towards) == IPv4Address("10.1.1.1")
    plain = NodeSettings("node-1")
    assert router_id_for(bgp_peer(source_address="10.0.0.2"), plain, towards) == \
        IPv4Address("10.0.0.2")
    assert router_id_for(bgp_peer(), plain, towards) == IPv4Address("10.9.9.9")
    assert router_id_for(bgp_peer(peer_address="2001:db8::1", source_address="2001:db8::2"),
                         plain, no_route) == router_id_from_name("node-1")


def test_plan_attributes() -> None:
    route = RoutePlan("198.51.100.1/32", ("p",), 150, ("65000:200", "65000:100"),
                      ("64500:1:2",), ("default/web",))
    attributes = plan_attributes(route)
    by_type = {type(attribute): attribute for attribute in attributes}
    assert by_type[Origin] == Origin(OriginCode.IGP)
    assert by_type[LocalPref] == LocalPref(150)
    communities = by_type[Communities]
    assert isinstance(communities, Communities) and str(communities) == "65000:100 65000:200"
    large = by_type[LargeCommunities]
    assert isinstance(large, LargeCommunities)
    assert large.values == (LargeCommunity(64500, 1, 2),)
    bare = plan_attributes(RoutePlan("198.51.100.1/32", ("p",), None, (), (), ()))
    assert {type(attribute) for attribute in bare} == {Origin, ASPath}


def test_peer_problems_in_order() -> None:
    assert peer_problem(bgp_peer(), None, listening=False) is None
    assert peer_problem(bgp_peer(), "source address absent", listening=True) == \
        "source address absent"
    vrf = peer_problem(bgp_peer(vrf="red"), None, listening=True)
    assert vrf is not None and "vrf 'red'" in vrf
    passive = peer_problem(bgp_peer(passive=True), None, listening=False)
    assert passive is not None and "--listen" in passive
    assert peer_problem(bgp_peer(passive=True), None, listening=True) is None
    assert peer_problem(bgp_peer(passive=True, password="k"), None, listening=True) is None
    assert peer_problem(bgp_peer(password="k"), None, listening=True) is None
    secret = peer_problem(bgp_peer(password_secret="tor"), None, listening=False)
    assert secret is not None and "TCP-MD5 key" in secret
    resolved = bgp_peer(password_secret="tor", password="k")
    assert peer_problem(resolved, None, listening=False) is None
