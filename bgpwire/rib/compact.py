"""The compact form an Adj-RIB-In keeps its routes in, and lazy views of routes taken in bulk.

A full table is a million prefixes, received in over a hundred thousand UPDATEs. Keyed by
``ipaddress`` networks it would hash each prefix in Python code (the stdlib does not cache a
network's hash) and hold a million objects the cyclic GC walks. Here each prefix is keyed by
its own NLRI entry as received (:func:`prefix_key`): the regular-expression engine cuts a whole
NLRI field into those keys in one call (:func:`wire_keys`), and bytes cache their hash. The
prefixes of one UPDATE share one value (:data:`~bgpwire.rib.stored.StoredPath`, bytes too),
which keeps the path attributes field: the attributes are built only when a route is read.
:class:`~bgpwire.rib.route.Route` objects are built only when asked for (:func:`table_routes`,
:class:`LazyRoutes`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, repeat
from typing import overload

from bgpwire.attributes import PathAttribute
from bgpwire.constants import AFI
from bgpwire.families import Family
from bgpwire.prefixes import NLRIItem, PathPrefix, Prefix, PrefixList, network
from bgpwire.rib.route import Route, stale_copy, unchecked_route
from bgpwire.rib.stored import StoredPath, is_stale, path_attributes, path_hops

__all__ = [
    "NO_ROUTES",
    "LazyRoutes",
    "Part",
    "block_keys",
    "key_prefix",
    "prefix_key",
    "run_paths",
    "stored_route",
    "table_routes",
    "wire_keys",
]

_BITS = {AFI.IPV4: 32, AFI.IPV6: 128}
_PATH_MARK = b"\xff"
"""Leads the key of a prefix with a path identifier: no prefix length is 255, so a key says
by its first octet which form it has (a table may hold both across sessions)."""

# Lengths most common in the global table first: the engine tries the alternatives in order.
# Which order is only a matter of speed; every length is there.
_COMMON_LENGTHS = {
    AFI.IPV4: (24, 22, 23, 21, 20, 19, 16, 18, 17),
    AFI.IPV6: (48, 32, 44, 40, 36, 46, 47, 29, 45, 42, 33, 34, 38),
}


def _entry(length: int) -> bytes:
    """The pattern of one NLRI entry of ``length`` whose bits past the length are zero."""
    size = (length + 7) >> 3
    head = re.escape(bytes((length,)))
    spare = 8 * size - length
    if not spare:
        return head + b"(?s:.)" * size
    last = b"".join(re.escape(bytes((value << spare,))) for value in range(1 << (8 - spare)))
    return head + b"(?s:.)" * (size - 1) + b"[" + last + b"]"


def _entries(afi: AFI, add_path: bool) -> re.Pattern[bytes]:
    bits = _BITS[afi]
    common = _COMMON_LENGTHS[afi]
    order = [*common, *(length for length in range(bits + 1) if length not in common)]
    choice = b"(?:" + b"|".join(_entry(length) for length in order) + b")"
    return re.compile(b"(?s:.{4})" + choice if add_path else choice)


_FIND_ENTRIES: dict[tuple[int, bool], Callable[[bytes], list[bytes]]] = {}
"""The patterns compiled so far (on first use: the IPv6 one has 129 alternatives, and a
program that never fills a table need not wait for them at import)."""


def wire_keys(data: bytes, afi: int, add_path: bool) -> list[bytes] | None:
    """The keys of a checked NLRI field, cut by one call into the regular-expression engine.

    ``None`` when an entry has bits set past its length (legal, and ignored: RFC 4271 §4.3),
    which the pattern does not take: the caller then keys the prefix objects, whose host bits
    are cleared. The entries found cover the whole field exactly when every entry was taken;
    a skipped one leaves a gap, so joining them back into the field is the whole check (a
    copy in C, cheaper than adding up a million lengths one call each).
    """
    find = _FIND_ENTRIES.get((afi, add_path))
    if find is None:
        if afi not in _BITS:
            return None
        find = _FIND_ENTRIES[afi, add_path] = _entries(AFI(afi), add_path).findall
    keys: list[bytes] = find(data)
    if b"".join(keys) != data:
        return None
    if add_path:
        return [_PATH_MARK + key for key in keys]
    return keys


def block_keys(block: Sequence[NLRIItem], afi: int) -> list[bytes]:
    """The keys of the prefixes of one NLRI field (see :func:`wire_keys`),
    from the bytes when it was received, else from the prefix objects."""
    if type(block) is PrefixList:
        for add_path in (False, True):
            data = block.wire_bytes(afi, add_path)
            if data is not None:
                keys = wire_keys(data, afi, add_path)
                if keys is not None:
                    return keys
                break
    keys = []
    for item in block:
        key = prefix_key(item)
        if key is None:
            raise TypeError(f"{item!r} is not a prefix")
        keys.append(key)
    return keys


def prefix_key(item: object) -> bytes | None:
    """The key of a prefix: its NLRI entry, after a path-identifier mark and the identifier
    under ADD-PATH (see :data:`_PATH_MARK`); ``None`` for what is not a prefix."""
    head = b""
    if isinstance(item, PathPrefix):
        head = _PATH_MARK + item.path_id.to_bytes(4, "big")
        item = item.prefix
    try:
        length: int = item.prefixlen  # type: ignore[attr-defined]
        packed: bytes = item.network_address.packed  # type: ignore[attr-defined]
    except AttributeError:
        return None
    return head + bytes((length,)) + packed[:(length + 7) >> 3]


def key_prefix(key: bytes, afi: int) -> NLRIItem:
    """The prefix of ``afi`` a key stands for (see :func:`prefix_key`)."""
    if key[0] == 0xFF:
        return PathPrefix(int.from_bytes(key[1:5], "big"), _key_network(key[5:], afi))
    return _key_network(key, afi)


def _key_network(entry: bytes, afi: int) -> Prefix:
    bits = _BITS[AFI.IPV6 if afi == AFI.IPV6 else AFI.IPV4]
    size = len(entry) - 1
    return network(afi, int.from_bytes(entry[1:], "big") << (bits - 8 * size), entry[0])


def stored_route(family: Family, prefix: NLRIItem, path: StoredPath) -> Route:
    route = unchecked_route(family, prefix, path_attributes(path), *path_hops(path))
    return stale_copy(route) if is_stale(path) else route


def table_routes(family: Family, entries: Iterable[tuple[bytes, StoredPath]]) -> Iterator[Route]:
    """The routes of ``(key, path)`` pairs of one family: a full table is a million of them, so
    the attributes of consecutive routes that share a path are read once."""
    afi = AFI.IPV6 if family.afi == AFI.IPV6 else AFI.IPV4
    bits = _BITS[afi]
    build, new_route, stale = network, unchecked_route, stale_copy
    from_bytes = int.from_bytes
    last: StoredPath | None = None
    attributes: tuple[PathAttribute, ...] = ()
    for key, path in entries:
        if path is not last:
            last, attributes = path, path_attributes(path)
            next_hop, link_local = path_hops(path)
            stale_route = is_stale(path)
        if key[0] == 0xFF:
            prefix = key_prefix(key, afi)
        else:  # _key_network written out: calling it costs a fifth more over a whole table
            prefix = build(afi, from_bytes(key[1:], "big") << (bits - 8 * len(key) + 8), key[0])
        route = new_route(family, prefix, attributes, next_hop, link_local)
        yield stale(route) if stale_route else route


_new = object.__new__
_SHOWN = 8
"""Up to this many routes, a :class:`LazyRoutes` shows them in its repr (a table, only its
length)."""
Part = (tuple[Family, Mapping[bytes, StoredPath]] | tuple[Family, Sequence[bytes], StoredPath]
        | tuple[Family, Sequence[bytes], Sequence[StoredPath], Sequence[int]])
"""Routes of one family in a :class:`LazyRoutes`: keys with their paths (a part of a table),
keys that share one path (the prefixes of one UPDATE), or keys in runs that share a path (the
prefixes of several UPDATEs: the first ``counts[0]`` keys have ``paths[0]``, and so on)."""


def run_paths(paths: Sequence[StoredPath], counts: Sequence[int]) -> Iterator[StoredPath]:
    """The path of each key of keys in runs: ``paths[0]`` ``counts[0]`` times, then
    ``paths[1]`` ``counts[1]`` times, and so on (see :data:`Part`); made as consumed, in C."""
    return chain.from_iterable(map(repeat, paths, counts))


class LazyRoutes(Sequence[Route]):
    """Routes put into or taken out of an :class:`~bgpwire.rib.adj_in.AdjRibIn` in bulk,
    built when read.

    It holds keys and shared paths (a removed part of a table, or the prefixes of one UPDATE),
    so making it costs nothing per route. Iterating builds each :class:`Route` again (equal
    routes, not the same objects); indexing builds them all once and keeps them. It compares
    equal to any sequence of the same routes.
    """

    __slots__ = ("_built", "_length", "_parts")

    def __init__(self, parts: Iterable[Part]) -> None:
        self._parts = tuple(part for part in parts if part[1])
        self._length = sum(len(part[1]) for part in self._parts)
        self._built: tuple[Route, ...] | None = None

    @classmethod
    def shared(cls, family: Family, keys: Sequence[bytes], path: StoredPath) -> LazyRoutes:
        """The routes of ``keys`` that share ``path``, made without a generator (one per UPDATE
        of a table)."""
        return cls._made(((family, keys, path),), len(keys))

    @classmethod
    def runs(cls, family: Family, keys: Sequence[bytes], paths: Sequence[StoredPath],
             counts: Sequence[int]) -> LazyRoutes:
        """The routes of ``keys`` whose paths come in runs: the first ``counts[0]`` keys share
        ``paths[0]``, the next ``counts[1]`` share ``paths[1]``, and so on (the prefixes of
        UPDATEs installed together, with nothing made per UPDATE)."""
        return cls._made(((family, keys, paths, counts),), len(keys))

    @classmethod
    def joined(cls, routes: Iterable[LazyRoutes]) -> LazyRoutes:
        """The routes of several, one after the other, as one (sharing their parts: nothing is
        built or copied per route)."""
        parts: list[Part] = []
        length = 0
        for each in routes:
            parts += each._parts
            length += each._length
        return cls._made(tuple(parts), length)

    @classmethod
    def _made(cls, parts: tuple[Part, ...], length: int) -> LazyRoutes:
        """The routes of ``parts``, ``length`` of them: what ``__init__`` makes (but for
        dropping empty parts), without a generator (the constructors above run once per UPDATE or
        per batch of a table)."""
        routes = _new(cls)
        routes._parts = parts
        routes._length = length
        routes._built = None
        return routes

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Route]:
        if self._built is not None:
            yield from self._built
            return
        for part in self._parts:
            if len(part) == 2:
                yield from table_routes(part[0], part[1].items())
            elif len(part) == 3:
                yield from table_routes(part[0], zip(part[1], repeat(part[2])))
            else:
                paths = run_paths(part[2], part[3])
                yield from table_routes(part[0], zip(part[1], paths, strict=True))

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
        if self._length <= _SHOWN:
            return f"LazyRoutes({list(self)!r})"
        return f"LazyRoutes({self._length} routes)"


NO_ROUTES = LazyRoutes(())
"""No routes, as a :class:`LazyRoutes` (what a change or event holds where it has none)."""
