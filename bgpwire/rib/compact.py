"""The compact form an Adj-RIB-In keeps its routes in, and the lazy view of a removed table.

A full table is a million prefixes. Keyed by ``ipaddress`` networks it would hash each prefix
in Python code (the stdlib does not cache a network's hash) and hold a million objects the
cyclic GC walks; here each prefix is one int (:func:`prefix_key`) and the prefixes of one
UPDATE share one value tuple (:data:`StoredPath`). :class:`~bgpwire.rib.route.Route` objects
are built only when asked for (:func:`table_routes`, :class:`WithdrawnRoutes`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from ipaddress import IPv4Network, IPv6Address, IPv6Network
from typing import overload

from bgpwire.attributes import PathAttribute
from bgpwire.constants import AFI
from bgpwire.families import Family
from bgpwire.prefixes import NLRIItem, PathPrefix, PrefixList, network, prefix_values
from bgpwire.rib.route import (
    NextHopAddress,
    Route,
    decoded_route,
    stale_copy,
    unchecked_route,
)

__all__ = [
    "StoredPath",
    "WithdrawnRoutes",
    "key_prefix",
    "prefix_key",
    "stored_route",
    "table_routes",
    "wire_keys",
]

StoredPath = tuple[tuple[PathAttribute, ...], NextHopAddress, IPv6Address | None, bool]
"""What a table keeps per prefix: attributes, next hop, link-local next hop, stale mark. One
tuple is shared by every prefix of an UPDATE (and by their stale copies)."""

_V6 = 0x100
_PATH_SHIFT = 137
_VALUE_MASK = (1 << 128) - 1


def prefix_key(item: object) -> int | None:
    """The compact key of a prefix: ``value << 9 | v6 << 8 | length``, plus ``path_id + 1`` from
    bit 137 for ADD-PATH; ``None`` for what is not a prefix.

    A table keyed by these ints instead of ``ipaddress`` networks hashes each prefix in a few
    nanoseconds (the stdlib does not cache a network's hash) and keeps no object the cyclic GC
    has to walk.
    """
    path = 0
    if isinstance(item, PathPrefix):
        path = (item.path_id + 1) << _PATH_SHIFT
        item = item.prefix
    if isinstance(item, IPv4Network):
        return path | int(item.network_address) << 9 | item.prefixlen
    if isinstance(item, IPv6Network):
        return path | int(item.network_address) << 9 | _V6 | item.prefixlen
    return None


def key_prefix(key: int) -> NLRIItem:
    """The prefix a key stands for (see :func:`prefix_key`)."""
    length = key & 0xFF
    value = (key >> 9) & _VALUE_MASK
    prefix = network(AFI.IPV6 if key & _V6 else AFI.IPV4, value, length)
    path = key >> _PATH_SHIFT
    return PathPrefix(path - 1, prefix) if path else prefix


def wire_keys(prefixes: Sequence[NLRIItem], afi: int) -> list[int] | None:
    """The keys of a decoded prefix block read off its wire bytes, or ``None`` when the block
    was not decoded (or has path identifiers): then the caller keys the objects."""
    if not isinstance(prefixes, PrefixList):
        return None
    data = prefixes.wire_bytes(afi, False)
    if data is None or afi not in (AFI.IPV4, AFI.IPV6):
        return None
    tag = _V6 if afi == AFI.IPV6 else 0
    return [value << 9 | length | tag for value, length in prefix_values(data, afi)]


def table_routes(family: Family, table: Mapping[int, StoredPath]) -> Iterator[Route]:
    """Every route of one family's table, with :func:`key_prefix` and :func:`stored_route`
    inlined: a full table is a million of them."""
    afi = AFI.IPV6 if family.afi == AFI.IPV6 else AFI.IPV4
    build, new_route, stale = network, unchecked_route, stale_copy
    shift, mask = _PATH_SHIFT, _VALUE_MASK
    for key, (attributes, next_hop, link_local, is_stale) in list(table.items()):
        net = build(afi, (key >> 9) & mask, key & 0xFF)
        prefix: NLRIItem = PathPrefix((key >> shift) - 1, net) if key >> shift else net
        route = new_route(family, prefix, attributes, next_hop, link_local)
        yield stale(route) if is_stale else route


def stored_route(family: Family, prefix: NLRIItem, path: StoredPath) -> Route:
    route = decoded_route(family, prefix, path[0], path[1], path[2])
    return stale_copy(route) if path[3] else route


class WithdrawnRoutes(Sequence[Route]):
    """Routes taken out of an :class:`~bgpwire.rib.adj_in.AdjRibIn` in bulk, built when read.

    It holds the removed part of the table (compact keys and shared value tuples), so taking
    it costs nothing per route. Iterating builds each :class:`Route` again (equal routes, not
    the same objects); indexing builds them all once and keeps them. It compares equal to any
    sequence of the same routes.
    """

    __slots__ = ("_built", "_length", "_parts")

    def __init__(self, parts: Sequence[tuple[Family, Mapping[int, StoredPath]]]) -> None:
        self._parts = tuple((family, table) for family, table in parts if table)
        self._length = sum(len(table) for _, table in self._parts)
        self._built: tuple[Route, ...] | None = None

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Route]:
        if self._built is not None:
            yield from self._built
            return
        for family, table in self._parts:
            yield from table_routes(family, table)

    @overload
    def __getitem__(self, index: int) -> Route: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Route, ...]: ...

    def __getitem__(self, index: int | slice) -> Route | tuple[Route, ...]:
        if self._built is None:
            self._built = tuple(iter(self))
        return self._built[index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(other) == self._length and all(
            a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"WithdrawnRoutes({self._length} routes)"
