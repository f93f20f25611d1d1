"""How an Adj-RIB-In keeps a path: one ``bytes`` object, shared by the prefixes of an UPDATE.

A :data:`StoredPath` is the path attributes field (as received, or encoded from the
attributes when the UPDATE was built by hand or repaired under RFC 7606), behind a short
header:

====================  ==========================================================================
octet 0               the width in octets of the AS numbers in the field (2 or 4), plus
                      :data:`STALE` when the route is stale (Graceful Restart)
octet 1               the length of the next hop (4 or 16), then the next hop, packed
next octet            the length of the link-local next hop (0 or 16), then that next hop
the rest              the path attributes field
====================  ==========================================================================

Why bytes: a table of a million prefixes keeps one value per UPDATE, and ``bytes`` is not an
object the cyclic garbage collector looks into. A dict whose values are all bytes (its keys are
NLRI entries, bytes too) is never tracked, so no collection ever walks a table, however large:
a dict holding a single tuple is walked in full by every full collection, which took most of
the collector's time while a table loaded, and pauses a speaker holding a full table for tens
of milliseconds each time. The attributes are built only when a route is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address
from typing import cast

from bgpwire.attributes import PathAttribute
from bgpwire.context import Negotiated
from bgpwire.messages.update import recognised_attributes
from bgpwire.rib.route import NextHopAddress, route_attributes_of

__all__ = [
    "STALE",
    "StoredPath",
    "is_stale",
    "path_attributes",
    "path_header",
    "path_hops",
    "received_path",
    "same_path",
    "stale_path",
    "stored_path",
]

StoredPath = bytes
"""What a table keeps per prefix; see the module docstring."""

STALE = 0x80
"""Set in the first octet of a stale path."""

_FIELD_CONTEXTS = {2: Negotiated(four_octet_as=False), 4: Negotiated(four_octet_as=True)}
"""What a kept field is decoded with, by AS number width: the only part of a session's context
the attributes of a field depend on (MP_REACH_NLRI and MP_UNREACH_NLRI, which depend on more,
are left out of a route's attributes)."""
_ENCODING = _FIELD_CONTEXTS[4]


def path_header(width: int, next_hop: bytes, link_local: bytes | None = None) -> bytes:
    """The header of a path whose field has AS numbers of ``width`` octets; next hops packed.
    A table's UPDATEs share a few next hops, so callers keep the headers they made."""
    link_local = link_local or b""
    return bytes((width, len(next_hop))) + next_hop + bytes((len(link_local),)) + link_local


def received_path(field: bytes, width: int, next_hop: NextHopAddress,
                  link_local: IPv6Address | None) -> StoredPath:
    """The path of routes kept with the path attributes ``field`` they came in, whose AS
    numbers are ``width`` octets wide."""
    header = path_header(width, next_hop.packed, None if link_local is None else link_local.packed)
    return header + field


def stored_path(attributes: Iterable[PathAttribute], received: tuple[bytes, int] | None,
                next_hop: NextHopAddress, link_local: IPv6Address | None) -> StoredPath:
    """The path of a route with ``attributes``, kept as ``received``: the path attributes field
    they were decoded from and its AS number width, when the decoder checked that field whole
    (:func:`~bgpwire.messages.update.received_field`). Otherwise (an UPDATE built by hand, or
    attributes left after RFC 7606 discarded some) they are encoded as a 4-octet AS speaker
    sends them, which decodes back to equal attributes."""
    if received is None:
        received = b"".join(attribute.encode(_ENCODING) for attribute in attributes), 4
    return received_path(*received, next_hop, link_local)


def _field_start(path: StoredPath) -> int:
    hop_end = 2 + path[1]
    return hop_end + 1 + path[hop_end]


def path_attributes(path: StoredPath) -> tuple[PathAttribute, ...]:
    """The route attributes of ``path``, built now. Never raises: the field was checked when
    it was received, or encoded from attributes that were."""
    context = _FIELD_CONTEXTS[path[0] & ~STALE]
    return route_attributes_of(recognised_attributes(path[_field_start(path):], context))


@lru_cache(maxsize=1024)
def _address(packed: bytes) -> NextHopAddress:
    """Cached: a table holds few next hops, read again for each of its routes."""
    return IPv4Address(packed) if len(packed) == 4 else IPv6Address(packed)


def path_hops(path: StoredPath) -> tuple[NextHopAddress, IPv6Address | None]:
    """The next hop and the link-local next hop (or ``None``) of ``path``."""
    hop_end = 2 + path[1]
    link_local_end = _field_start(path)
    next_hop = _address(path[2:hop_end])
    if link_local_end == hop_end + 1:
        return next_hop, None
    return next_hop, cast(IPv6Address, _address(path[hop_end + 1:link_local_end]))


def is_stale(path: StoredPath) -> bool:
    return path[0] >= STALE


def stale_path(path: StoredPath) -> StoredPath:
    """``path`` marked stale (Graceful Restart)."""
    return bytes((path[0] | STALE,)) + path[1:]


def same_path(old: StoredPath, new: StoredPath) -> bool:
    """Whether two paths give equal routes (so replacing one by the other is no news)."""
    if old == new:
        return True
    old_start, new_start = _field_start(old), _field_start(new)
    if (old[0] ^ new[0]) & STALE or old[1:old_start] != new[1:new_start]:
        return False  # stale mark or next hops differ
    return path_attributes(old) == path_attributes(new)
