"""Rule 1: an advertisement is checked only against the pools it selects, per family only on the
families those pools hold; L2Advertisements never meet a BGP check."""

from __future__ import annotations

from pathlib import Path

from .validate_support import bgp_advertisement, check, l2_advertisement, pool

AD = "BGPAdvertisement/metallb-system"
POOL = "IPAddressPool/metallb-system"


def test_spec_example_dual_pool_only_in_l2_and_v4_pool_in_bgp(tmp_path: Path) -> None:
    documents = [
        pool("dual", "10.1.0.0/28", "fd00:1::/124"),
        pool("v4", "10.0.0.0/24"),
        l2_advertisement("l2", ipAddressPools=["dual"]),
        bgp_advertisement("bgp", ipAddressPools=["v4"], aggregationLength=24,
                          aggregationLengthV6=64),
    ]
    assert check(tmp_path, documents) == []


def test_the_same_advertisement_on_every_pool_fails_on_the_dual_pool(tmp_path: Path) -> None:
    """Control for the test above: selecting all pools brings the dual pool into the check."""
    documents = [
        pool("dual", "10.1.0.0/28", "fd00:1::/124"),
        pool("v4", "10.0.0.0/24"),
        bgp_advertisement("bgp", aggregationLength=24, aggregationLengthV6=64),
    ]
    assert check(tmp_path, documents) == [
        f"{AD}/bgp, {POOL}/dual: spec.aggregationLength=24: shorter than the /28 prefix of "
        "entry 10.1.0.0/28: a /24 aggregate would cover addresses outside the pool; "
        "use at least 28",
        f"{AD}/bgp, {POOL}/dual: spec.aggregationLengthV6=64: shorter than the /124 prefix of "
        "entry fd00:1::/124: a /64 aggregate would cover addresses outside the pool; "
        "use at least 124"]


def test_pool_selectors_choose_the_pools_checked(tmp_path: Path) -> None:
    documents = [
        pool("small", "10.1.0.0/28", labels={"size": "small"}),
        pool("big", "10.0.0.0/24", labels={"size": "big"}),
        bgp_advertisement("big-only", aggregationLength=24,
                          ipAddressPoolSelectors=[{"matchLabels": {"size": "big"}}]),
        bgp_advertisement("not-small", aggregationLength=20, localPref=1,
                          ipAddressPoolSelectors=[{"matchExpressions": [
                              {"key": "size", "operator": "NotIn", "values": ["small"]}]}]),
    ]
    assert check(tmp_path, documents) == [
        f"{AD}/not-small, {POOL}/big: spec.aggregationLength=20: shorter than the /24 prefix "
        "of entry 10.0.0.0/24: a /20 aggregate would cover addresses outside the pool; "
        "use at least 24"]


def test_names_and_selectors_together_select_the_union(tmp_path: Path) -> None:
    documents = [
        pool("named", "10.0.0.0/24"),
        pool("labelled", "10.1.0.0/28", labels={"tier": "edge"}),
        pool("other", "10.2.0.0/30"),
        bgp_advertisement("ad", aggregationLength=24, ipAddressPools=["named"],
                          ipAddressPoolSelectors=[{"matchLabels": {"tier": "edge"}}]),
    ]
    lines = check(tmp_path, documents)
    assert [line.split(":")[0] for line in lines] == [f"{AD}/ad, {POOL}/labelled"]


def test_ipv6_length_is_not_checked_on_an_ipv4_only_pool(tmp_path: Path) -> None:
    documents = [pool("v4", "10.0.0.0/24"),
                 bgp_advertisement("ad", aggregationLength=28, aggregationLengthV6=8)]
    assert check(tmp_path, documents) == []


def test_ipv4_length_is_not_checked_on_an_ipv6_only_pool(tmp_path: Path) -> None:
    documents = [pool("v6", "2001:db8::/120"),
                 bgp_advertisement("ad", aggregationLength=1, aggregationLengthV6=124)]
    assert check(tmp_path, documents) == []


def test_l2_advertisement_values_never_meet_bgp_checks(tmp_path: Path) -> None:
    """Fields only a BGPAdvertisement has are ignored on an L2Advertisement."""
    documents = [pool("p", "10.0.0.0/28"),
                 l2_advertisement("l2", aggregationLength=8, communities=["not a community"],
                                  peers=["nobody"], localPref=-5)]
    assert check(tmp_path, documents) == []


def test_l2_advertisement_naming_a_missing_pool_is_still_wrong(tmp_path: Path) -> None:
    documents = [pool("p", "10.0.0.0/28"), l2_advertisement("l2", ipAddressPools=["q"])]
    assert check(tmp_path, documents) == [
        "L2Advertisement/metallb-system/l2: spec.ipAddressPools=q: no IPAddressPool of that name"]


def test_selector_matching_no_pool_checks_nothing(tmp_path: Path) -> None:
    documents = [pool("p", "10.0.0.0/28"),
                 bgp_advertisement("ad", aggregationLength=8,
                                   ipAddressPoolSelectors=[{"matchLabels": {"x": "y"}}])]
    assert check(tmp_path, documents) == []
