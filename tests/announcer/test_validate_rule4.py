"""Rule 4: sourceAddress is an IP; BGPPeers sharing a peerAddress must select disjoint nodes."""

from __future__ import annotations

from pathlib import Path

from .validate_support import check, node, peer, zone_selector

PEER = "BGPPeer/metallb-system"
NODES = [node("a1", zone="a"), node("a2", zone="a"), node("b1", zone="b"),
         node("b2", zone="b", **{"node.kubernetes.io/exclude-from-external-load-balancers": ""})]


def test_per_zone_peers_to_one_router_are_valid(tmp_path: Path) -> None:
    documents = [
        *NODES,
        peer("tor-a", "10.255.0.1", my_asn=64512, sourceAddress="10.1.0.10", routerID="10.1.0.10",
             holdTime="90s", nodeSelectors=zone_selector("a")),
        peer("tor-b", "10.255.0.1", my_asn=64513, sourceAddress="10.2.0.10", routerID="10.2.0.10",
             holdTime="9s", keepaliveTime="3s", nodeSelectors=zone_selector("b")),
    ]
    assert check(tmp_path, documents) == []


def test_overlapping_peers_name_both_and_a_shared_node(tmp_path: Path) -> None:
    documents = [*NODES,
                 peer("tor-a", "10.255.0.1", nodeSelectors=zone_selector("a")),
                 peer("tor-all", "10.255.0.1", my_asn=64513)]
    assert check(tmp_path, documents) == [
        f"{PEER}/tor-a, {PEER}/tor-all: spec.peerAddress=10.255.0.1: both peers are selected on "
        "node a1; BGPPeers with the same peerAddress must select disjoint sets of nodes"]


def test_excluded_nodes_still_hold_sessions(tmp_path: Path) -> None:
    """The exclude-from-external-load-balancers label stops announcements, not sessions."""
    documents = [*NODES,
                 peer("x", "10.255.0.1", nodeSelectors=[{"matchLabels": {"kubernetes.io/hostname":
                                                                         "b2"}}]),
                 peer("y", "10.255.0.1", my_asn=64513, nodeSelectors=zone_selector("b"))]
    assert [line.split(": ")[2] for line in check(tmp_path, documents)] == [
        "both peers are selected on node b2; BGPPeers with the same peerAddress must select "
        "disjoint sets of nodes"]


def test_selectors_overlapping_only_on_nodes_that_do_not_exist(tmp_path: Path) -> None:
    documents = [node("a1", zone="a"),
                 peer("p", "10.255.0.1", nodeSelectors=zone_selector("a")),
                 peer("q", "10.255.0.1", my_asn=64513, nodeSelectors=zone_selector("b", "c"))]
    assert check(tmp_path, documents) == []


def test_three_peers_are_compared_pairwise(tmp_path: Path) -> None:
    documents = [*NODES,
                 peer("p", "10.255.0.1", nodeSelectors=zone_selector("a")),
                 peer("q", "10.255.0.1", my_asn=2, nodeSelectors=zone_selector("b")),
                 peer("r", "10.255.0.1", my_asn=3, nodeSelectors=zone_selector("a", "b"))]
    assert [line.split(": ")[0] for line in check(tmp_path, documents)] == [
        f"{PEER}/p, {PEER}/r", f"{PEER}/q, {PEER}/r"]


def test_address_spellings_are_compared_as_addresses(tmp_path: Path) -> None:
    documents = [peer("p", "2001:db8:0::1"), peer("q", "2001:DB8::1", my_asn=2)]
    assert [line.split(": ")[1] for line in check(tmp_path, documents)] == [
        "spec.peerAddress=2001:db8::1"]


def test_different_vrfs_are_different_routers(tmp_path: Path) -> None:
    documents = [peer("p", "10.255.0.1", vrf="red"), peer("q", "10.255.0.1", my_asn=2)]
    assert check(tmp_path, documents) == []


def test_without_node_documents_selectors_that_can_meet_are_rejected(tmp_path: Path) -> None:
    documents = [
        peer("p", "10.255.0.1", nodeSelectors=zone_selector("a")),
        peer("q", "10.255.0.1", my_asn=2, nodeSelectors=[{"matchExpressions": [
            {"key": "zone", "operator": "NotIn", "values": ["b"]}]}]),
    ]
    assert check(tmp_path, documents, "a1") == [
        f"{PEER}/p, {PEER}/q: spec.peerAddress=10.255.0.1: both peers are selected on a node "
        "labelled zone=a (no Node documents given); BGPPeers with the same peerAddress must "
        "select disjoint sets of nodes"]


def test_without_node_documents_exclusive_selectors_are_valid(tmp_path: Path) -> None:
    documents = [
        peer("p", "10.255.0.1", nodeSelectors=zone_selector("a")),
        peer("q", "10.255.0.1", my_asn=2, nodeSelectors=[{"matchLabels": {"zone": "b"}}]),
        peer("r", "10.255.0.1", my_asn=3, nodeSelectors=[{"matchExpressions": [
            {"key": "zone", "operator": "DoesNotExist"}]}]),
        peer("s", "10.255.0.1", my_asn=4, nodeSelectors=[{"matchExpressions": [
            {"key": "zone", "operator": "Exists"},
            {"key": "zone", "operator": "NotIn", "values": ["a", "b"]},
            {"key": "rack", "operator": "In", "values": ["r1"]}]}]),
        peer("t", "10.255.0.1", my_asn=5, nodeSelectors=[{"matchExpressions": [
            {"key": "zone", "operator": "Exists"},
            {"key": "rack", "operator": "NotIn", "values": ["r1"]}]}]),
    ]
    assert [line.split(": ")[0] for line in check(tmp_path, documents)] == [
        f"{PEER}/p, {PEER}/t", f"{PEER}/q, {PEER}/t"]


def test_source_address_must_be_an_ip(tmp_path: Path) -> None:
    documents = [peer("p", sourceAddress="eth0"), peer("q", "192.0.2.2", sourceAddress="10.0.0.1")]
    assert check(tmp_path, documents) == [
        f"{PEER}/p: spec.sourceAddress=eth0: not an IP address"]


def test_an_absent_source_address_is_not_a_validation_matter(tmp_path: Path) -> None:
    """Whether 203.0.113.77 is on an interface is decided at run time, not by check."""
    assert check(tmp_path, [peer("p", sourceAddress="203.0.113.77")]) == []


def test_nodes_are_selectable_by_hostname_even_without_that_label(tmp_path: Path) -> None:
    bare = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}}
    by_host = [{"matchLabels": {"kubernetes.io/hostname": "n1"}}]
    documents = [bare, node("n2"),
                 peer("p", "10.255.0.1", nodeSelectors=by_host),
                 peer("q", "10.255.0.1", my_asn=2)]
    assert [line.split(": ")[2].split(";")[0] for line in check(tmp_path, documents)] == [
        "both peers are selected on node n1"]
