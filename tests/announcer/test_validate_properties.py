"""Properties of the validator's two pieces of reasoning, against brute force on small worlds:
whether two selector lists can select a common node, and whether pool entries overlap."""

from __future__ import annotations

import ipaddress
import tempfile
from itertools import combinations, product
from pathlib import Path
from typing import Any

import yaml
from bgpwire_announcer.load import load_paths
from bgpwire_announcer.model import (
    AddressPool,
    Config,
    LabelSelector,
    Origin,
    SelectorOperator,
    SelectorRequirement,
    any_matches,
)
from bgpwire_announcer.node_sets import shared_node
from bgpwire_announcer.pool_entries import parse_pool_entry
from bgpwire_announcer.validate import validate
from hypothesis import given, settings
from hypothesis import strategies as st

KEYS = ("zone", "rack")
VALUES = ("a", "b")
UNIVERSE_VALUES = (None, "a", "b", "other")
"""Every value a label may take in the brute force: absent, each value selectors name, and one
value no selector names (what Exists or NotIn can be satisfied with)."""

requirements = st.builds(
    SelectorRequirement,
    key=st.sampled_from(KEYS),
    operator=st.sampled_from(list(SelectorOperator)),
    values=st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True).map(tuple),
).map(lambda r: r if r.operator in (SelectorOperator.IN, SelectorOperator.NOT_IN)
      else SelectorRequirement(r.key, r.operator))
selectors = st.builds(
    LabelSelector,
    match_labels=st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)
    .map(lambda d: tuple(sorted(d.items()))),
    match_expressions=st.lists(requirements, max_size=3).map(tuple),
)
selector_lists = st.lists(selectors, max_size=2).map(tuple)


def every_label_set() -> list[dict[str, str]]:
    out = []
    for values in product(UNIVERSE_VALUES, repeat=len(KEYS)):
        out.append({k: v for k, v in zip(KEYS, values, strict=True) if v is not None})
    return out


@settings(max_examples=400, deadline=None)
@given(selector_lists, selector_lists)
def test_selectors_meet_exactly_when_some_labels_satisfy_both(
        first: tuple[LabelSelector, ...], second: tuple[LabelSelector, ...]) -> None:
    brute = any(any_matches(first, labels) and any_matches(second, labels)
                for labels in every_label_set())
    assert (shared_node(first, second, ()) is not None) == brute


def entry_text(first: int, last: int, as_cidr: bool) -> str:
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    if as_cidr:
        network = next(ipaddress.summarize_address_range(
            ipaddress.IPv4Address(base + first), ipaddress.IPv4Address(base + last)))
        return str(network)
    return f"{ipaddress.IPv4Address(base + first)}-{ipaddress.IPv4Address(base + last)}"


entries = st.tuples(st.integers(0, 31), st.integers(0, 31), st.booleans()).map(
    lambda t: entry_text(min(t[0], t[1]), max(t[0], t[1]), t[2]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(entries, min_size=1, max_size=3), min_size=1, max_size=3))
def test_overlaps_reported_exactly_when_some_entries_share_an_address(
        pools: list[list[str]]) -> None:
    config = Config(pools=tuple(
        AddressPool(Origin("IPAddressPool", "ns", f"p{i}"), tuple(addresses))
        for i, addresses in enumerate(pools)))
    owned = [(i, parse_pool_entry(text)) for i, addresses in enumerate(pools)
             for text in addresses]
    overlapping = [(a, b) for a, b in combinations(owned, 2)
                   if a[1].first <= b[1].last and b[1].first <= a[1].last]
    reported = [p for p in validate(config) if p.reason.startswith("overlaps ")]
    assert bool(reported) == bool(overlapping)
    for problem in reported:  # every line names two entries that really overlap
        other = problem.reason.split()[1]
        mine, theirs = parse_pool_entry(problem.value), parse_pool_entry(other)
        assert mine.first <= theirs.last and theirs.first <= mine.last


SAMPLE = Path(__file__).parent / "manifests" / "dualstack"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=12) | st.sampled_from(["10.0.0.0/24", "2001:db8::1", "90s", "In", "x:y"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=6)


def sample_documents() -> list[Any]:
    return [d for file in sorted(SAMPLE.glob("*.yaml"))
            for d in yaml.safe_load_all(file.read_text()) if d]


def paths_in(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths_in(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += paths_in(item, (*prefix, index))
    return out


SAMPLE_PATHS = paths_in(sample_documents())[1:]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SAMPLE_PATHS), json_values), min_size=1, max_size=4))
def test_damaged_documents_give_problems_never_exceptions(
        damage: list[tuple[tuple[Any, ...], Any]]) -> None:
    documents: Any = sample_documents()
    for path, value in damage:
        target = documents
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "damaged.yaml"
        file.write_text(yaml.safe_dump_all(documents))
        loaded = load_paths([file])
        problems = validate(loaded.config, "node-a1")
    for problem in (*loaded.problems, *problems):
        assert problem.objects and problem.field and problem.reason
