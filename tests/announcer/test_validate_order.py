"""The verdict and every line of it are the same whatever the order of documents and files."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import yaml
from bgpwire_announcer.load import load_paths
from bgpwire_announcer.validate import validate

from .validate_support import (
    bgp_advertisement,
    community,
    node,
    peer,
    pool,
    service,
    write,
    zone_selector,
)

DUALSTACK = Path(__file__).parent / "manifests" / "dualstack"


def troubled() -> list[dict[str, Any]]:
    """A configuration with problems of every kind, several of them involving two objects."""
    return [
        node("a1", zone="a"), node("b1", zone="b"),
        pool("v4", "10.20.30.0/24"), pool("dual", "10.40.0.0/24", "2001:db8:40::/120"),
        pool("clash", "10.20.30.128/25"), pool("broken", "10.9.9.9-10.9.9.1"),
        community("c", blue="65000:1"), community("d", blue="65000:2"),
        bgp_advertisement("x", ipAddressPools=["v4"], localPref=100),
        bgp_advertisement("y", ipAddressPools=["v4"], localPref=200, communities=["red"]),
        bgp_advertisement("z", ipAddressPools=["dual"], aggregationLength=16,
                          peers=["nobody"]),
        peer("tor-a", "10.255.0.1", nodeSelectors=zone_selector("a")),
        peer("tor-all", "10.255.0.1", my_asn=64513, sourceAddress="eth0"),
        peer("twin-1", "10.255.0.9", holdTime="2s"), peer("twin-2", "10.255.0.9", holdTime="2s"),
        peer("typo", "10.1.1.1", peerPort="x"),
        service("web", loadBalancerIP="10.99.0.1"),
        service("api", annotations={"metallb.io/address-pool": "v6"}),
    ]


def lines(paths: list[Path], node_name: str | None = "a1") -> list[str]:
    loaded = load_paths(paths)
    return [str(p) for p in loaded.problems] + [str(p) for p in
                                                validate(loaded.config, node_name)]


def test_troubled_config_has_problems_from_every_rule(tmp_path: Path) -> None:
    found = lines([write(tmp_path / "all.yaml", troubled())])
    assert len(found) >= 10
    assert any("spec.localPref=100 vs 200" in line for line in found)
    assert any("spec.peerAddress=10.255.0.1" in line for line in found)
    assert any(line.startswith("BGPPeer/metallb-system/typo: spec.peerPort=x") for line in found)
    assert len(set(found)) == len(found)


def test_shuffled_documents_and_files_give_identical_lines(tmp_path: Path) -> None:
    documents = troubled()
    reference = lines([write(tmp_path / "all.yaml", documents)])
    shuffler = random.Random(2024)
    for attempt in range(8):
        shuffled = documents[:]
        shuffler.shuffle(shuffled)
        cut = shuffler.randrange(1, len(shuffled))
        folder = tmp_path / f"try{attempt}"
        folder.mkdir()
        first = write(folder / "1.yaml", shuffled[:cut])
        second = write(folder / "2.yaml", shuffled[cut:])
        order = [first, second] if attempt % 2 else [second, first]
        assert lines(order) == reference


def test_sample_manifests_valid_in_any_order(tmp_path: Path) -> None:
    documents = [d for file in sorted(DUALSTACK.glob("*.yaml"))
                 for d in yaml.safe_load_all(file.read_text()) if d]
    documents.reverse()
    assert lines([write(tmp_path / "reversed.yaml", documents)], "node-b1") == []


def test_problems_are_sorted_and_unique(tmp_path: Path) -> None:
    loaded = load_paths([write(tmp_path / "all.yaml", troubled() + troubled()[:4])])
    problems = validate(loaded.config, "a1")
    assert problems == sorted(set(problems))
    assert all(list(problem.objects) == sorted(problem.objects) for problem in problems)
