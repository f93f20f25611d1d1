"""The bytes an Adj-RIB-In keeps per path (:mod:`bgpwire.rib.stored`) give back what went in."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address

from hypothesis import given
from hypothesis import strategies as st

from bgpwire.attributes import PathAttribute
from bgpwire.messages import Update, decode
from bgpwire.messages.update import received_field
from bgpwire.rib.route import MESSAGE_ATTRIBUTES, route_attributes_of
from bgpwire.rib.stored import (
    is_stale,
    path_attributes,
    path_hops,
    same_path,
    stale_path,
    stored_path,
)
from tests.strategies.attributes import ipv4_addresses, ipv6_addresses
from tests.strategies.attributes import path_attributes as attrs
from tests.strategies.updates import unknown_attributes
from tests.test_rib_in import CTX, NH4, NH6, PEER_AS, announce4, base

LINK_LOCAL = IPv6Address("fe80::1")


@st.composite
def route_attribute_sets(draw: st.DrawFn) -> tuple[PathAttribute, ...]:
    """A route's attributes: distinct types, none of those only a message carries."""
    pool = draw(st.lists(st.one_of(attrs(), unknown_attributes()), max_size=10))
    chosen: dict[int, PathAttribute] = {}
    for attribute in pool:
        if attribute.type_code not in MESSAGE_ATTRIBUTES:
            chosen.setdefault(attribute.type_code, attribute)
    return route_attributes_of(chosen.values())


@given(route_attribute_sets(), st.one_of(ipv4_addresses(), ipv6_addresses()), st.booleans())
def test_attributes_built_by_hand_come_back_equal(
        attributes: tuple[PathAttribute, ...], next_hop: IPv4Address | IPv6Address,
        with_link_local: bool) -> None:
    link_local = LINK_LOCAL if with_link_local and next_hop.version == 6 else None
    path = stored_path(attributes, None, next_hop, link_local)
    assert isinstance(path, bytes)
    assert path_attributes(path) == attributes
    assert path_hops(path) == (next_hop, link_local)
    assert not is_stale(path)
    stale = stale_path(path)
    assert is_stale(stale) and stale_path(stale) == stale
    assert path_attributes(stale) == attributes and path_hops(stale) == path_hops(path)
    assert not same_path(path, stale) and same_path(stale, stale_path(path))


def test_a_received_field_is_kept_as_it_came_and_reads_as_the_decoder_built_it() -> None:
    sent = announce4(attributes=base(PEER_AS, 3356, med=5))
    update = decode(sent.encode(CTX), CTX)
    assert isinstance(update, Update)
    received = received_field(update)
    assert received is not None
    field, width = received
    assert width == 4 and field == sent.encode(CTX)[23:]  # no NLRI: the field runs to the end
    attributes = route_attributes_of(update.attributes)
    assert received_field(update) is None  # built now: the field is gone
    path = stored_path(attributes, received, NH4, None)
    assert path.endswith(field) and path_attributes(path) == attributes


def test_paths_with_equal_routes_are_the_same_path_whatever_their_bytes() -> None:
    attributes = route_attributes_of(base(PEER_AS, 3356))
    two_octet = stored_path(attributes, None, NH6, None)
    update = decode(announce4(attributes=base(PEER_AS, 3356)).encode(CTX), CTX)
    assert isinstance(update, Update)
    received = stored_path(attributes, received_field(update), NH6, None)
    assert received != two_octet and same_path(received, two_octet)
    assert not same_path(received, stored_path(attributes, None, NH6, LINK_LOCAL))
    assert not same_path(received, stored_path(route_attributes_of(base(PEER_AS)), None, NH6,
                                               None))
