"""Rule 5: advertisements sharing a pool may differ in localPref only when they can never make the
same route to the same peer from the same node, comparing the aggregation length of each family
the shared pools hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .validate_support import bgp_advertisement, check, node, peer, pool, zone_selector

AD = "BGPAdvertisement/metallb-system"
EXCLUDED = {"node.kubernetes.io/exclude-from-external-load-balancers": "true"}


def clash(tmp_path: Path, first: dict[str, Any], second: dict[str, Any],
          *extra: dict[str, Any]) -> list[str]:
    return check(tmp_path, [*extra, bgp_advertisement("a", **first),
                            bgp_advertisement("b", **second)])


V4 = pool("v4", "10.20.30.0/24")
V6 = pool("v6", "2001:db8:20::/120")
DUAL = pool("dual", "10.40.0.0/24", "2001:db8:40::/120")


def test_spec_example_different_lengths_one_without_local_pref(tmp_path: Path) -> None:
    assert clash(tmp_path, {"aggregationLength": 32, "localPref": 100},
                 {"aggregationLength": 27}, V4) == []


def test_spec_example_same_lengths_different_local_pref(tmp_path: Path) -> None:
    assert clash(tmp_path, {"localPref": 100}, {"localPref": 200}, V4) == [
        f"{AD}/a, {AD}/b: spec.localPref=100 vs 200: both select pool v4 and can announce the "
        "same IPv4 /32 routes to every peer from any node (no Node documents given); differ in "
        "aggregation length for that family, in peers or in nodes"]


@pytest.mark.parametrize(("first", "second"), [(100, None), (0, None), (None, 7)])
def test_unset_local_pref_differs_from_any_value(tmp_path: Path, first: int | None,
                                                  second: int | None) -> None:
    spec_a = {} if first is None else {"localPref": first}
    spec_b = {} if second is None else {"localPref": second}
    lines = clash(tmp_path, spec_a, spec_b, V4)
    assert len(lines) == 1 and "unset" in lines[0]


@pytest.mark.parametrize("pref", [None, 0, 150])
def test_equal_local_pref_never_clashes(tmp_path: Path, pref: int | None) -> None:
    spec: dict[str, Any] = {} if pref is None else {"localPref": pref}
    assert clash(tmp_path, {**spec, "communities": ["1:1"]}, spec, V4) == []


def test_ipv4_only_pool_ignores_equal_ipv6_lengths(tmp_path: Path) -> None:
    """The MetalLB failure: both keep the default aggregationLengthV6 (128); the pool holds
    no IPv6, so only the IPv4 lengths (32 and 27) matter."""
    assert clash(tmp_path, {"aggregationLength": 32, "localPref": 100},
                 {"aggregationLength": 27, "localPref": 200}, V4) == []


def test_ipv6_only_pool_ignores_equal_ipv4_lengths(tmp_path: Path) -> None:
    assert clash(tmp_path, {"aggregationLengthV6": 128, "localPref": 100},
                 {"aggregationLengthV6": 124, "localPref": 200}, V6) == []


def test_ipv6_only_pool_equal_ipv6_lengths_clash(tmp_path: Path) -> None:
    lines = clash(tmp_path, {"aggregationLength": 32, "localPref": 100},
                  {"aggregationLength": 24, "localPref": 200}, V6)
    assert len(lines) == 1 and "same IPv6 /128 routes" in lines[0]


def test_dual_pool_needs_every_family_to_differ(tmp_path: Path) -> None:
    lines = clash(tmp_path, {"aggregationLength": 32, "localPref": 100},
                  {"aggregationLength": 28, "localPref": 200}, DUAL)
    assert len(lines) == 1 and "same IPv6 /128 routes" in lines[0]
    assert clash(tmp_path, {"aggregationLength": 32, "localPref": 100},
                 {"aggregationLength": 28, "aggregationLengthV6": 124, "localPref": 200},
                 DUAL) == []


def test_only_the_shared_pools_families_count(tmp_path: Path) -> None:
    """b also selects an IPv6 pool, but the pool they share holds IPv4 only."""
    assert clash(tmp_path, {"ipAddressPools": ["v4"], "aggregationLength": 32, "localPref": 1},
                 {"ipAddressPools": ["v4", "v6"], "aggregationLength": 30, "localPref": 2},
                 V4, V6) == []


def test_no_shared_pool_no_clash(tmp_path: Path) -> None:
    assert clash(tmp_path, {"ipAddressPools": ["v4"], "localPref": 1},
                 {"ipAddressPools": ["dual"], "localPref": 2}, V4, DUAL) == []


def test_shared_pool_found_through_selectors(tmp_path: Path) -> None:
    labelled = pool("edge", "10.50.0.0/24", labels={"tier": "edge"})
    lines = clash(tmp_path, {"ipAddressPools": ["edge"], "localPref": 1},
                  {"ipAddressPoolSelectors": [{"matchLabels": {"tier": "edge"}}],
                   "localPref": 2}, labelled, V4)
    assert len(lines) == 1 and "both select pool edge" in lines[0]


def test_disjoint_peer_lists_do_not_clash(tmp_path: Path) -> None:
    peers = [peer("p1", "192.0.2.1"), peer("p2", "192.0.2.2")]
    assert clash(tmp_path, {"peers": ["p1"], "localPref": 1},
                 {"peers": ["p2"], "localPref": 2}, V4, *peers) == []


def test_overlapping_or_empty_peer_lists_clash(tmp_path: Path) -> None:
    peers = [peer("p1", "192.0.2.1"), peer("p2", "192.0.2.2")]
    overlapping = clash(tmp_path, {"peers": ["p1", "p2"], "localPref": 1},
                        {"peers": ["p2"], "localPref": 2}, V4, *peers)
    assert len(overlapping) == 1 and "to peer p2 from" in overlapping[0]
    one_empty = clash(tmp_path, {"peers": ["p1"], "localPref": 1}, {"localPref": 2},
                      V4, *peers)
    assert len(one_empty) == 1 and "to peer p1 from" in one_empty[0]


def test_disjoint_node_sets_do_not_clash(tmp_path: Path) -> None:
    nodes = [node("a1", zone="a"), node("b1", zone="b")]
    assert clash(tmp_path, {"nodeSelectors": zone_selector("a"), "localPref": 1},
                 {"nodeSelectors": zone_selector("b"), "localPref": 2}, V4, *nodes) == []


def test_overlapping_node_sets_name_a_shared_node(tmp_path: Path) -> None:
    nodes = [node("a1", zone="a"), node("b1", zone="b")]
    lines = clash(tmp_path, {"nodeSelectors": zone_selector("a", "b"), "localPref": 1},
                  {"nodeSelectors": zone_selector("b"), "localPref": 2}, V4, *nodes)
    assert len(lines) == 1 and "from node b1;" in lines[0]


def test_a_node_that_announces_nothing_cannot_clash(tmp_path: Path) -> None:
    nodes = [node("a1", zone="a"), node("b1", zone="b", **EXCLUDED)]
    assert clash(tmp_path, {"nodeSelectors": zone_selector("a"), "localPref": 1},
                 {"nodeSelectors": zone_selector("b"), "localPref": 2}, V4, *nodes) == []
    assert clash(tmp_path, {"nodeSelectors": zone_selector("a", "b"), "localPref": 1},
                 {"nodeSelectors": zone_selector("b"), "localPref": 2}, V4, *nodes) == []


def test_without_node_documents_exclusive_selectors_do_not_clash(tmp_path: Path) -> None:
    assert clash(tmp_path, {"nodeSelectors": [{"matchLabels": {"zone": "a"}}], "localPref": 1},
                 {"nodeSelectors": [{"matchLabels": {"zone": "b"}}], "localPref": 2}, V4) == []
