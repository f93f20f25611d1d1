"""One route as a RIB keeps it: a prefix of one family, its path attributes and its next hop.

On the wire the next hop travels in two different places: the NEXT_HOP attribute for IPv4
unicast in the classic NLRI field (RFC 4271 §5.1.3), and inside MP_REACH_NLRI for every other
family (RFC 4760 §3, RFC 2545 §3). A route table should not care which, so :class:`Route` keeps
the next hop as a field for every family and its attributes without NEXT_HOP, MP_REACH_NLRI or
MP_UNREACH_NLRI: those three describe the message, not the route, and are rebuilt when the route
is sent (:mod:`bgpwire.rib.adj_out`). Attributes are kept sorted by type code, the order
RFC 4271 §5 asks a sender to use, so that two routes with the same attributes compare equal
whatever order they arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from ipaddress import IPv4Address, IPv6Address
from itertools import pairwise
from typing import TypeVar

from bgpwire.attributes import PathAttribute
from bgpwire.constants import AFI, AttrType
from bgpwire.errors import LocalProtocolError
from bgpwire.families import PREFIX_FAMILIES, Family
from bgpwire.prefixes import NLRIItem, prefix_afi
from bgpwire.slots import slot_setters

__all__ = ["MESSAGE_ATTRIBUTES", "NextHopAddress", "Route", "RouteKey"]

NextHopAddress = IPv4Address | IPv6Address
RouteKey = tuple[Family, NLRIItem]
"""What identifies a route in an Adj-RIB: its family and its prefix (with path id, RFC 7911)."""

MESSAGE_ATTRIBUTES = frozenset({
    int(AttrType.NEXT_HOP), int(AttrType.MP_REACH_NLRI), int(AttrType.MP_UNREACH_NLRI)})
"""Attribute types that belong to an UPDATE rather than to a route (see the module docstring)."""

A = TypeVar("A", bound=PathAttribute)


def _type_code(attribute: PathAttribute) -> int:
    return attribute.type_code


def sort_attributes(attributes: Iterable[PathAttribute]) -> tuple[PathAttribute, ...]:
    """``attributes`` in ascending type code order (RFC 4271 §5), checked to be distinct."""
    ordered = tuple(sorted(attributes, key=_type_code))
    for before, after in pairwise(ordered):
        if before.type_code == after.type_code:
            raise LocalProtocolError(f"attribute type {after.type_code} given twice")
    return ordered


@dataclass(frozen=True, slots=True)
class Route:
    """A route of one prefix family (IPv4/IPv6 unicast or multicast).

    ``next_hop`` is the forwarding address for every family; ``link_local`` is the optional
    IPv6 link-local next hop that RFC 2545 §3 lets follow a global one. ``stale`` marks a route
    kept across a peer's restart until the peer confirms or withdraws it (RFC 4724 §4.2).
    """

    family: Family
    prefix: NLRIItem
    attributes: tuple[PathAttribute, ...]
    next_hop: NextHopAddress
    link_local: IPv6Address | None = None
    stale: bool = False

    def __post_init__(self) -> None:
        if self.family not in PREFIX_FAMILIES:
            raise LocalProtocolError(f"{self.family} is not a prefix family")
        if not hasattr(self.prefix, "prefix") and not hasattr(self.prefix, "prefixlen"):
            raise LocalProtocolError(f"{self.prefix!r} is not a prefix")
        if prefix_afi(self.prefix) != self.family.afi:
            raise LocalProtocolError(f"{self.prefix} is not a prefix of {self.family}")
        if not isinstance(self.next_hop, IPv4Address | IPv6Address):
            raise LocalProtocolError(f"next hop {self.next_hop!r} is not an IP address")
        if isinstance(self.next_hop, IPv4Address) and self.family.afi != AFI.IPV4:
            raise LocalProtocolError(f"an IPv4 next hop cannot serve {self.family}")
        if self.link_local is not None and not (
            isinstance(self.link_local, IPv6Address) and isinstance(self.next_hop, IPv6Address)
        ):
            raise LocalProtocolError("a link-local next hop follows an IPv6 global next hop")
        attributes = sort_attributes(self.attributes)
        for attribute in attributes:
            if attribute.type_code in MESSAGE_ATTRIBUTES:
                raise LocalProtocolError(
                    f"attribute type {attribute.type_code} describes a message, not a route: "
                    "give the next hop as a field")
        object.__setattr__(self, "attributes", attributes)

    @property
    def key(self) -> RouteKey:
        """Family and prefix: what a newer announcement of this route replaces."""
        return (self.family, self.prefix)

    @property
    def next_hops(self) -> tuple[NextHopAddress, ...]:
        """The next hop as MP_REACH_NLRI carries it: global, then link-local if there is one."""
        if self.link_local is None:
            return (self.next_hop,)
        return (self.next_hop, self.link_local)

    def attr(self, cls: type[A]) -> A | None:
        """The attribute of class ``cls``, or ``None``."""
        for attribute in self.attributes:
            if type(attribute) is cls:
                return attribute
        return None

    def with_attributes(self, attributes: Iterable[PathAttribute]) -> Route:
        """A copy with other attributes (sorted and checked like the constructor's)."""
        return replace(self, attributes=tuple(attributes))

    def fresh(self) -> Route:
        """This route without the stale mark."""
        return replace(self, stale=False) if self.stale else self


_new = object.__new__
_SETTERS = slot_setters(
    Route, "family", "prefix", "attributes", "next_hop", "link_local", "stale")
_set_family, _set_prefix, _set_attributes, _set_next_hop, _set_link_local, _set_stale = (
    _SETTERS.values())


def decoded_route(
    family: Family, prefix: NLRIItem, attributes: tuple[PathAttribute, ...],
    next_hop: NextHopAddress, link_local: IPv6Address | None,
) -> Route:
    """A route from a decoded UPDATE, built without re-running the constructor's checks.

    A full table is a million routes, and their parts were checked by the decoder already;
    ``attributes`` must come from :func:`route_attributes_of` (sorted, no message attributes).
    """
    route = _new(Route)
    _set_family(route, family)
    _set_prefix(route, prefix)
    _set_attributes(route, attributes)
    _set_next_hop(route, next_hop)
    _set_link_local(route, link_local)
    _set_stale(route, False)
    return route


unchecked_route = decoded_route
"""The same fast builder, for routes whose parts were checked elsewhere: a speaker exporting
thousands of routes that share attributes checks the attributes once."""


def stale_copy(route: Route) -> Route:
    """``route`` marked stale, without re-running the constructor's checks.

    Graceful Restart marks a whole table at once (RFC 4724 §4.2); ``dataclasses.replace`` would
    sort and check every route's attributes again.
    """
    copy = _new(Route)
    for name, set_field in _SETTERS.items():
        set_field(copy, getattr(route, name))
    _set_stale(copy, True)
    return copy


def route_attributes_of(attributes: Iterable[PathAttribute]) -> tuple[PathAttribute, ...]:
    """The route's share of a decoded UPDATE's attributes: sorted, message attributes left out.

    The decoder guarantees that each type appears once.
    """
    kept = [a for a in attributes if a.type_code not in MESSAGE_ATTRIBUTES]
    kept.sort(key=_type_code)
    return tuple(kept)
