"""validate(): MetalLB's own rules, each with a case that passes and cases that fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bgpwire_announcer.load import load_paths
from bgpwire_announcer.model import BGPPeer, Config, Origin
from bgpwire_announcer.pool_entries import parse_pool_entry
from bgpwire_announcer.validate import validate

from .validate_support import (
    bfd_profile,
    bgp_advertisement,
    check,
    community,
    l2_advertisement,
    node,
    peer,
    pool,
    service,
)

DUALSTACK = Path(__file__).parent / "manifests" / "dualstack"
POOL = "IPAddressPool/metallb-system"
AD = "BGPAdvertisement/metallb-system"
PEER = "BGPPeer/metallb-system"


def test_the_dualstack_sample_is_valid_for_each_of_its_nodes() -> None:
    config = load_paths([DUALSTACK]).config
    for name in (None, "node-a1", "node-b1", "node-b2"):
        assert validate(config, name) == []


# --- pools ---------------------------------------------------------------------------------


@pytest.mark.parametrize("entry", [
    "10.0.0.0/24", "10.0.0.1-10.0.0.9", "10.0.0.9-10.0.0.9", "2001:db8::/64",
    "2001:db8::1 - 2001:db8::ff", "10.0.0.7/24"])
def test_valid_pool_entries(tmp_path: Path, entry: str) -> None:
    assert check(tmp_path, [pool("p", entry)]) == []


@pytest.mark.parametrize(("entry", "reason"), [
    ("10.0.0.9-10.0.0.1", "the start of a range must not be above its end"),
    ("10.0.0.1-2001:db8::1", "the two ends of a range must be of the same IP family"),
    ("10.0.0.1", "expected a CIDR (a single address is written /32 or /128) or a range a-b"),
    ("10.0.0.0/33", "not a CIDR such as 10.0.0.0/24 or 2001:db8::/120"),
    ("10.0.0.x-10.0.0.9", "a range must be two IP addresses joined by '-'"),
])
def test_invalid_pool_entries(tmp_path: Path, entry: str, reason: str) -> None:
    assert check(tmp_path, [pool("p", entry)]) == [f"{POOL}/p: spec.addresses={entry}: {reason}"]


def test_a_pool_needs_an_entry(tmp_path: Path) -> None:
    assert check(tmp_path, [pool("p")]) == [
        f"{POOL}/p: spec.addresses=[]: a pool needs at least one entry"]


def test_range_summarised_to_cidrs() -> None:
    entry = parse_pool_entry("10.0.0.1-10.0.0.6")
    assert [str(n) for n in entry.networks] == ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31",
                                                "10.0.0.6/32"]


def test_overlaps_across_pools_name_both(tmp_path: Path) -> None:
    assert check(tmp_path, [pool("a", "10.0.0.0/24"), pool("b", "10.0.0.128-10.0.1.5")]) == [
        f"{POOL}/a, {POOL}/b: spec.addresses=10.0.0.128-10.0.1.5: "
        f"overlaps 10.0.0.0/24 of {POOL}/a"]


def test_overlap_within_one_pool(tmp_path: Path) -> None:
    assert check(tmp_path, [pool("a", "2001:db8::/120", "2001:db8::80/121")]) == [
        f"{POOL}/a: spec.addresses=2001:db8::80/121: overlaps 2001:db8::/120 of the same pool"]


def test_touching_ranges_and_other_families_do_not_overlap(tmp_path: Path) -> None:
    documents = [pool("a", "10.0.0.0-10.0.0.9", "::a00:0/120"), pool("b", "10.0.0.10/31")]
    assert check(tmp_path, documents) == []


# --- advertisements ------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "line"), [
    ({"aggregationLength": 33}, f"{AD}/ad: spec.aggregationLength=33: must be within 1..32"),
    ({"aggregationLength": 0}, f"{AD}/ad: spec.aggregationLength=0: must be within 1..32"),
    ({"aggregationLengthV6": 129},
     f"{AD}/ad: spec.aggregationLengthV6=129: must be within 1..128"),
    ({"localPref": -1}, f"{AD}/ad: spec.localPref=-1: must be within 0..4294967295"),
    ({"ipAddressPools": ["nope"]},
     f"{AD}/ad: spec.ipAddressPools=nope: no IPAddressPool of that name"),
    ({"peers": ["ghost"]}, f"{AD}/ad: spec.peers=ghost: no BGPPeer of that name"),
])
def test_advertisement_fields(tmp_path: Path, spec: dict[str, Any], line: str) -> None:
    assert check(tmp_path, [pool("p", "10.0.0.0/24"), bgp_advertisement("ad", **spec)]) == [line]


def test_aggregation_length_must_not_be_shorter_than_the_pool_prefix(tmp_path: Path) -> None:
    documents = [pool("p", "10.0.0.0/24"),
                 bgp_advertisement("wide", aggregationLength=16),
                 bgp_advertisement("exact", aggregationLength=24, localPref=5),
                 bgp_advertisement("narrow", aggregationLength=28, localPref=6)]
    assert check(tmp_path, documents) == [
        f"{AD}/wide, {POOL}/p: spec.aggregationLength=16: shorter than the /24 prefix of entry "
        "10.0.0.0/24: a /16 aggregate would cover addresses outside the pool; use at least 24"]


def test_aggregation_against_a_range_uses_its_cidrs(tmp_path: Path) -> None:
    documents = [pool("p", "10.0.0.0-10.0.0.127", "10.0.1.1-10.0.1.6"),
                 bgp_advertisement("ad", aggregationLength=25)]
    assert check(tmp_path, documents) == [
        f"{AD}/ad, {POOL}/p: spec.aggregationLength=25: shorter than the /32 prefix of entry "
        "10.0.1.1-10.0.1.6 (summarised into CIDRs): a /25 aggregate would cover addresses "
        "outside the pool; use at least 32"]


def test_ipv6_aggregation_is_checked_on_ipv6_entries(tmp_path: Path) -> None:
    documents = [pool("p", "2001:db8::/120"), bgp_advertisement("ad", aggregationLengthV6=64)]
    assert check(tmp_path, documents) == [
        f"{AD}/ad, {POOL}/p: spec.aggregationLengthV6=64: shorter than the /120 prefix of entry "
        "2001:db8::/120: a /64 aggregate would cover addresses outside the pool; "
        "use at least 120"]


# --- communities ---------------------------------------------------------------------------


def test_communities_values_and_aliases(tmp_path: Path) -> None:
    documents = [pool("p", "10.0.0.0/24"), community("c", blue="large:1:2:3", red="65000:7"),
                 bgp_advertisement("ad", communities=["65535:65535", "large:4294967295:0:1",
                                                      "blue", "red"])]
    assert check(tmp_path, documents) == []


@pytest.mark.parametrize(("text", "reason"), [
    ("65536:1", "'65536:1' is not a community: each part must be at most 65535"),
    ("1:2:3", "'1:2:3' is not a community: expected a:b (16-bit each), large:a:b:c (32-bit "
              "each) or the name of a Community alias"),
    ("large:1:2", "'large:1:2' is not a large community: expected large:a:b:c"),
    ("large:1:2:4294967296",
     "'large:1:2:4294967296' is not a large community: each part must be at most 4294967295"),
    ("green", "no Community alias of that name, and not a community a:b (16-bit each) or "
              "large:a:b:c (32-bit each)"),
    ("-1:5", "'-1:5' is not a community: every part must be a decimal number"),
])
def test_bad_communities(tmp_path: Path, text: str, reason: str) -> None:
    documents = [pool("p", "10.0.0.0/24"), bgp_advertisement("ad", communities=[text])]
    assert check(tmp_path, documents) == [f"{AD}/ad: spec.communities={text}: {reason}"]


def test_alias_with_a_bad_value_and_aliases_defined_twice(tmp_path: Path) -> None:
    documents = [community("one", blue="65000:1", broken="65000"),
                 community("two", blue="65000:2")]
    assert check(tmp_path, documents) == [
        "Community/metallb-system/one: spec.communities[broken].value=65000: '65000' is not a "
        "community: expected a:b (16-bit each), large:a:b:c (32-bit each) or the name of a "
        "Community alias",
        "Community/metallb-system/one, Community/metallb-system/two: "
        "spec.communities.name=blue: the alias is defined 2 times"]


# --- peers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "line"), [
    ({"my_asn": 0}, f"{PEER}/p: spec.myASN=0: an ASN must be within 1..4294967295"),
    ({"peer_asn": 4294967296},
     f"{PEER}/p: spec.peerASN=4294967296: an ASN must be within 1..4294967295"),
    ({"address": "router1"}, f"{PEER}/p: spec.peerAddress=router1: not an IP address"),
    ({"sourceAddress": "eth0"}, f"{PEER}/p: spec.sourceAddress=eth0: not an IP address"),
    ({"sourceAddress": "2001:db8::1"},
     f"{PEER}/p: spec.sourceAddress=2001:db8::1: an IPv6 source cannot reach the IPv4 "
     "peerAddress 192.0.2.1"),
    ({"routerID": "2001:db8::1"},
     f"{PEER}/p: spec.routerID=2001:db8::1: must be an IPv4 address"),
    ({"peerPort": 0}, f"{PEER}/p: spec.peerPort=0: must be within 1..65535"),
    ({"peerPort": 65536}, f"{PEER}/p: spec.peerPort=65536: must be within 1..65535"),
    ({"holdTime": "2s"}, f"{PEER}/p: spec.holdTime=2s: must be 0 or within 3s..65535s"),
    ({"holdTime": "20h"}, f"{PEER}/p: spec.holdTime=72000s: must be 0 or within 3s..65535s"),
    ({"holdTime": "9s", "keepaliveTime": "10s"},
     f"{PEER}/p: spec.keepaliveTime=10s: must not be above the hold time (9s)"),
    ({"keepaliveTime": "91s"},
     f"{PEER}/p: spec.keepaliveTime=91s: must not be above the hold time (90s)"),
    ({"holdTime": "0s", "keepaliveTime": "1s"},
     f"{PEER}/p: spec.keepaliveTime=1s: must not be above the hold time (0s)"),
    ({"connectTime": "0s"}, f"{PEER}/p: spec.connectTime=0s: must be within 1s..65535s"),
    ({"peer_asn": 64512, "ebgpMultiHop": True},
     f"{PEER}/p: spec.ebgpMultiHop=true: only for eBGP; myASN and peerASN are both 64512"),
    ({"password": "s3cret", "passwordSecret": {"name": "bgp-auth"}},
     f"{PEER}/p: spec.passwordSecret=bgp-auth: password and passwordSecret are mutually "
     "exclusive"),
    ({"bfdProfile": "slow"}, f"{PEER}/p: spec.bfdProfile=slow: no BFDProfile of that name"),
])
def test_peer_rules(tmp_path: Path, spec: dict[str, Any], line: str) -> None:
    assert check(tmp_path, [peer("p", **spec), bfd_profile("fast")]) == [line]


@pytest.mark.parametrize("spec", [
    {"holdTime": "0s", "keepaliveTime": "0s"}, {"holdTime": "3s", "keepaliveTime": "1s"},
    {"holdTime": "3m", "keepaliveTime": "1m"}, {"ebgpMultiHop": True}, {"bfdProfile": "fast"},
    {"sourceAddress": "192.0.2.10", "routerID": "10.0.0.1"},
    {"address": "2001:db8::1", "sourceAddress": "2001:db8::2"},
    {"my_asn": 4294967295}])
def test_valid_peers(tmp_path: Path, spec: dict[str, Any]) -> None:
    assert check(tmp_path, [peer("p", **spec), bfd_profile("fast")]) == []


def test_password_never_printed(tmp_path: Path) -> None:
    lines = check(tmp_path, [peer("p", password="hunter2-secret", passwordSecret="other")])
    assert lines and not any("hunter2-secret" in line for line in lines)


# --- names and identical objects -----------------------------------------------------------


def test_duplicate_names_are_rejected(tmp_path: Path) -> None:
    documents = [pool("p", "10.0.0.0/24"), pool("p", "10.0.1.0/24"),
                 node("n1"), node("n1", zone="a")]
    assert check(tmp_path, documents) == [
        f"{POOL}/p: metadata.name=p: defined 2 times",
        "Node/n1: metadata.name=n1: defined 2 times"]


def test_same_name_in_two_namespaces_is_ambiguous(tmp_path: Path) -> None:
    other = pool("p", "10.0.1.0/24")
    other["metadata"]["namespace"] = "elsewhere"
    assert check(tmp_path, [pool("p", "10.0.0.0/24"), other]) == [
        f"IPAddressPool/elsewhere/p, {POOL}/p: metadata.name=p: the name is used in "
        "namespaces elsewhere, metallb-system; references by name would be ambiguous"]


def test_identical_peers_and_advertisements_are_rejected(tmp_path: Path) -> None:
    documents = [pool("p", "10.0.0.0/24"), peer("a"), peer("b"),
                 bgp_advertisement("x", localPref=1), bgp_advertisement("y", localPref=1),
                 l2_advertisement("l2-a"), l2_advertisement("l2-b")]
    assert check(tmp_path, documents) == [
        f"{AD}/x, {AD}/y: spec=identical: 2 BGPAdvertisements have the same spec; keep one",
        f"{PEER}/a, {PEER}/b: spec=identical: 2 BGPPeers have the same spec; keep one",
        f"{PEER}/a, {PEER}/b: spec.peerAddress=192.0.2.1: both peers are selected on any node "
        "(no Node documents given); BGPPeers with the same peerAddress must select disjoint "
        "sets of nodes",
        "L2Advertisement/metallb-system/l2-a, L2Advertisement/metallb-system/l2-b: "
        "spec=identical: 2 L2Advertisements have the same spec; keep one"]


# --- services ------------------------------------------------------------------------------


def test_service_requests(tmp_path: Path) -> None:
    documents = [
        pool("v4", "10.0.0.0/24"), pool("v6", "2001:db8::/120"),
        service("ok", annotations={"metallb.io/loadBalancerIPs": "10.0.0.5,2001:db8::5"}),
        service("named-ok", loadBalancerIP="2001:db8::9",
                annotations={"metallb.io/address-pool": "v6"}),
        service("not-ip", loadBalancerIP="www"),
        service("outside", loadBalancerIP="10.9.9.9"),
        service("wrong-pool", loadBalancerIP="10.0.0.7",
                annotations={"metallb.universe.tf/address-pool": "v6"}),
        service("missing-pool", annotations={"metallb.io/address-pool": "v5"}),
        service("two-v4", annotations={"metallb.io/loadBalancerIPs": "10.0.0.1,10.0.0.2"}),
        service("other-class", loadBalancerIP="www", loadBalancerClass="example.com/lb"),
    ]
    assert check(tmp_path, documents) == [
        f"{POOL}/v6, Service/default/wrong-pool: loadBalancerIPs=10.0.0.7: "
        "not in the requested pool v6",
        "Service/default/missing-pool: metadata.annotations.metallb.io/address-pool=v5: "
        "no IPAddressPool of that name",
        "Service/default/not-ip: loadBalancerIPs=www: not an IP address",
        "Service/default/outside: loadBalancerIPs=10.9.9.9: not in any IPAddressPool",
        "Service/default/two-v4: loadBalancerIPs=10.0.0.2: a second IPv4 address (after "
        "10.0.0.1); at most one per family"]


# --- the node ------------------------------------------------------------------------------


def test_node_must_be_known_when_nodes_are_given(tmp_path: Path) -> None:
    documents = [node("n1"), node("n2")]
    assert check(tmp_path, documents, "n1") == []
    assert check(tmp_path, documents, "n3") == [
        "Node/n3: --node=n3: no Node document of that name (known: n1, n2)"]


def test_any_node_is_accepted_without_node_documents(tmp_path: Path) -> None:
    assert check(tmp_path, [pool("p", "10.0.0.0/24")], "anything") == []


def test_negative_timers_built_without_the_loader_are_rejected() -> None:
    """The model can be built in code (tests, other tools); validation does not rely on the
    loader having refused negative durations."""
    origin = Origin("BGPPeer", "metallb-system", "p")
    config = Config(peers=(BGPPeer(origin, 64512, 64513, "192.0.2.1", hold_time=-5,
                                   keepalive_time=-1),))
    assert [str(p) for p in validate(config)] == [
        f"{PEER}/p: spec.holdTime=-5s: must be 0 or within 3s..65535s",
        f"{PEER}/p: spec.keepaliveTime=-1s: must not be negative"]
