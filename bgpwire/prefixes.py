"""Prefixes on the wire: the <length, prefix> encoding of RFC 4271 §4.3 and RFC 4760 §5, with the
optional path identifier of ADD-PATH (RFC 7911 §3).

Prefixes are stdlib ``ipaddress`` networks. A full table holds about a million of them, and
building a million network objects costs more than reading the bytes they come from, so a
decoded block of prefixes is a :class:`PrefixList`: its bytes are checked in full when the
message is decoded (so a malformed field is reported there, as RFC 7606 needs), and the network
objects are built the first time anyone looks at them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any, overload

from bgpwire.constants import AFI
from bgpwire.errors import InvalidNetworkField, LocalProtocolError

Prefix = IPv4Network | IPv6Network
IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True)
class PathPrefix:
    """A prefix with the path identifier that ADD-PATH puts in front of it (RFC 7911)."""

    path_id: int
    prefix: Prefix

    def __post_init__(self) -> None:
        if not 0 <= self.path_id <= 0xFFFFFFFF:
            raise LocalProtocolError(f"path identifier {self.path_id} does not fit in 4 octets")

    def __str__(self) -> str:
        return f"{self.prefix} path-id {self.path_id}"


NLRIItem = Prefix | PathPrefix
"""One entry of an NLRI field: a prefix, or a prefix with a path identifier under ADD-PATH."""

_MAX_LENGTH: dict[int, int] = {AFI.IPV4: 32, AFI.IPV6: 128}


def _network_builder(version: int) -> Any:
    """Return a function (int, length) -> network that skips re-parsing what we already know.

    ``IPv4Network((value, length))`` validates its input the slow way. Our values are already
    masked and in range, so we fill in the same attributes its constructor would. The result
    is checked against the stdlib constructor for every length at import time; should a future
    Python lay its objects out differently, the plain constructor is used instead.
    """
    if version == 4:
        network_cls: Any = IPv4Network
        address_cls: Any = IPv4Address
        bits = 32
    else:
        network_cls = IPv6Network
        address_cls = IPv6Address
        bits = 128
    netmasks = [network_cls((0, length)).netmask for length in range(bits + 1)]
    new = object.__new__

    def build(value: int, length: int) -> Any:
        if length >= bits - 1:  # the stdlib adds a special hosts() for these two lengths
            return network_cls((value, length))
        address = new(address_cls)
        address._ip = value
        if bits == 128:
            address._scope_id = None
        network = new(network_cls)
        network.network_address = address
        network.netmask = netmasks[length]
        network._prefixlen = length
        return network

    def plain(value: int, length: int) -> Any:
        return network_cls((value, length))

    for length in range(bits + 1):
        value = ((1 << length) - 1) << (bits - length)
        slow = plain(value, length)
        try:
            fast = build(value, length)
            same = (fast == slow and hash(fast) == hash(slow) and str(fast) == str(slow)
                    and fast.broadcast_address == slow.broadcast_address
                    and fast.network_address.is_private == slow.network_address.is_private)
        except Exception:  # a layout we do not know: never guess
            same = False
        if not same:
            return plain
    return build


_BUILD: dict[int, Any] = {AFI.IPV4: _network_builder(4), AFI.IPV6: _network_builder(6)}
_HOST_MASKS = {
    afi: [((1 << length) - 1) << (bits - length) for length in range(bits + 1)]
    for afi, bits in _MAX_LENGTH.items()
}
_FAST_BUILD: dict[int, Any] = {
    afi: build for afi, build in _BUILD.items() if build.__name__ == "build"}
"""The AFIs whose fast builder passed its import-time check, which
:func:`_materialize_plain` copies."""
_PLAIN: dict[int, tuple[Any, Any, list[tuple[int, int, int, Any]]]] = {
    afi: (network_cls, address_cls, [
        ((length + 7) >> 3, bits - 8 * ((length + 7) >> 3), _HOST_MASKS[afi][length],
         network_cls((0, length)).netmask if length < bits - 1 else None)
        for length in range(bits + 1)])
    for afi, bits, network_cls, address_cls in (
        (AFI.IPV4, 32, IPv4Network, IPv4Address), (AFI.IPV6, 128, IPv6Network, IPv6Address))
}
"""Per AFI: the classes, and per prefix length its size in octets, the shift that puts those
octets in place, the host mask, and the netmask (``None`` where the stdlib builds the object)."""


_STEPS: dict[int, tuple[int, ...]] = {
    afi: tuple(1 + ((length + 7) >> 3) if length <= bits else 1 << 20 for length in range(256))
    for afi, bits in _MAX_LENGTH.items()
}
"""Per AFI and length octet: how far an entry without path identifier reaches (length octet
included). A length beyond the address size steps far past any message, so the entry's bad
length shows up as a field that does not end where it should."""


def network(afi: int, value: int, length: int) -> Prefix:
    """The network of ``afi`` with address ``value`` (host bits already zero) and ``length``.

    Several times cheaper than the ``ipaddress`` constructors, which parse their argument again:
    for code that keeps prefixes in a compact form and turns them back into networks in bulk.
    """
    built: Prefix = _BUILD[afi](value, length)
    return built


def prefix_values(data: bytes, afi: int) -> list[tuple[int, int]]:
    """The prefixes of a checked NLRI field without path identifiers (a :class:`PrefixList`'s
    received bytes) as (address as an integer, length) pairs: the compact form, for tables keyed
    by prefix that need no network objects."""
    table = _PLAIN[afi][2]
    from_bytes = int.from_bytes
    values: list[tuple[int, int]] = []
    append = values.append
    end = len(data)
    i = 0
    while i < end:
        length = data[i]
        size, shift, mask, _ = table[length]
        i += 1
        append(((from_bytes(data[i:i + size], "big") << shift) & mask, length))
        i += size
    return values


def _check_prefixes(data: bytes, afi: int, add_path: bool) -> int:
    """Check that ``data`` is a whole number of well-formed prefixes, one at a time; return how
    many.

    Raises :class:`InvalidNetworkField` for a length beyond the address size or a prefix cut
    short (RFC 4271 §6.3, RFC 7606 §5.3).
    """
    max_length = _MAX_LENGTH[afi]
    end = len(data)
    i = 0
    count = 0
    while i < end:
        if add_path:
            i += 4
            if i >= end:
                raise InvalidNetworkField("NLRI ends inside a path identifier")
        length = data[i]
        if length > max_length:
            raise InvalidNetworkField(f"prefix length {length} exceeds {max_length}")
        i += 1 + ((length + 7) >> 3)
        count += 1
    if i != end:
        raise InvalidNetworkField("NLRI ends inside a prefix")
    return count


def _materialize(data: bytes, afi: int, add_path: bool) -> tuple[NLRIItem, ...]:
    if not add_path and _BUILD[afi] is _FAST_BUILD.get(afi):
        return _materialize_plain(data, afi)
    bits = _MAX_LENGTH[afi]
    build = _BUILD[afi]
    masks = _HOST_MASKS[afi]
    from_bytes = int.from_bytes
    out: list[NLRIItem] = []
    append = out.append
    end = len(data)
    i = 0
    while i < end:
        path_id = -1
        if add_path:
            path_id = from_bytes(data[i:i + 4], "big")
            i += 4
        length = data[i]
        size = (length + 7) >> 3
        i += 1
        value = (from_bytes(data[i:i + size], "big") << (bits - 8 * size)) & masks[length]
        i += size
        network = build(value, length)
        append(network if path_id < 0 else PathPrefix(path_id, network))
    return tuple(out)


def _materialize_plain(data: bytes, afi: int) -> tuple[Prefix, ...]:
    """:func:`_materialize` without path identifiers, for when the fast builder is in use.

    What a consumer reading a full table pays per prefix, so the builder is written out inline
    (specialised copy of ``build`` in :func:`_network_builder`, which checked at import time that
    its objects equal the stdlib's) and each length's shift, mask, netmask and size are looked
    up once, from one table.
    """
    network_cls, address_cls, table = _PLAIN[afi]
    v6 = afi == AFI.IPV6
    new = object.__new__
    from_bytes = int.from_bytes
    out: list[Prefix] = []
    append = out.append
    end = len(data)
    i = 0
    while i < end:
        length = data[i]
        size, shift, mask, netmask = table[length]
        if netmask is None:  # the two longest lengths: the stdlib constructor (see build)
            append(network_cls(((from_bytes(data[i + 1:i + 1 + size], "big") << shift) & mask,
                                length)))
            i += 1 + size
            continue
        address = new(address_cls)
        i += 1
        address._ip = (from_bytes(data[i:i + size], "big") << shift) & mask
        if v6:
            address._scope_id = None
        i += size
        network = new(network_cls)
        network.network_address = address
        network.netmask = netmask
        network._prefixlen = length
        append(network)
    return tuple(out)


_new = object.__new__


class PrefixList(Sequence[NLRIItem]):
    """An immutable sequence of prefixes decoded from wire bytes on first access.

    It behaves as the tuple of its items: it compares and hashes equal to that tuple. Re-encoding
    it in the form it was received reuses the received bytes.
    """

    __slots__ = ("_add_path", "_afi", "_count", "_items", "_raw")

    def __init__(self, raw: bytes, afi: int, add_path: bool, count: int) -> None:
        self._raw = raw
        self._afi = afi
        self._add_path = add_path
        self._count = count
        self._items: tuple[NLRIItem, ...] | None = None

    @classmethod
    def decode(cls, data: bytes, afi: int, add_path: bool) -> PrefixList:
        """Check that ``data`` is a whole number of well-formed prefixes, and wrap it.

        Raises :class:`InvalidNetworkField` for a length beyond the address size or a prefix
        cut short (RFC 4271 §6.3, RFC 7606 §5.3).
        """
        count = 0
        if add_path:
            count = _check_prefixes(data, afi, add_path)
        else:
            # Every UPDATE of a full table comes through here: one table lookup per prefix and
            # no branch. Only a field that does not add up goes to the careful loop, which says
            # why.
            steps = _STEPS[afi]
            end = len(data)
            i = 0
            while i < end:
                i += steps[data[i]]
                count += 1
            if i != end:
                count = _check_prefixes(data, afi, add_path)
        prefixes = _new(cls)  # the same as __init__, for a call made once per UPDATE
        prefixes._raw = data
        prefixes._afi = afi
        prefixes._add_path = add_path
        prefixes._count = count
        prefixes._items = None
        return prefixes

    def items(self) -> tuple[NLRIItem, ...]:
        """The prefixes as a tuple, built once."""
        items = self._items
        if items is None:
            items = self._items = _materialize(self._raw, self._afi, self._add_path)
        return items

    def wire_bytes(self, afi: int, add_path: bool) -> bytes | None:
        """The received bytes, if they are the encoding asked for."""
        if afi == self._afi and add_path == self._add_path:
            return self._raw
        return None

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> NLRIItem: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[NLRIItem, ...]: ...
    def __getitem__(self, index: int | slice) -> NLRIItem | tuple[NLRIItem, ...]:
        return self.items()[index]

    def __iter__(self) -> Iterator[NLRIItem]:
        return iter(self.items())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PrefixList):
            if (self._afi, self._add_path) == (other._afi, other._add_path):
                return self._raw == other._raw
            return self.items() == other.items()
        if isinstance(other, tuple):
            return self.items() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.items())

    def __repr__(self) -> str:
        return repr(self.items())


def encode_prefix(item: NLRIItem, add_path: bool) -> bytes:
    """One NLRI entry on the wire. ``add_path`` says whether a path identifier is expected."""
    if isinstance(item, PathPrefix):
        if not add_path:
            raise LocalProtocolError(f"{item}: path identifier given, but ADD-PATH is not in use")
        head = item.path_id.to_bytes(4, "big")
        prefix = item.prefix
    else:
        if add_path:
            raise LocalProtocolError(f"{item}: ADD-PATH is in use, give a PathPrefix")
        head = b""
        prefix = item
    length = prefix.prefixlen
    size = (length + 7) >> 3
    return head + bytes((length,)) + prefix.network_address.packed[:size]


def encode_prefixes(items: Sequence[NLRIItem], afi: int, add_path: bool) -> bytes:
    """The NLRI field for ``items``, all of which must belong to ``afi``."""
    if isinstance(items, PrefixList):
        raw = items.wire_bytes(afi, add_path)
        if raw is not None:
            return raw
    version = 4 if afi == AFI.IPV4 else 6
    out = []
    for item in items:
        prefix = item.prefix if isinstance(item, PathPrefix) else item
        if prefix.version != version:
            raise LocalProtocolError(f"{prefix} does not belong to AFI {afi}")
        out.append(encode_prefix(item, add_path))
    return b"".join(out)


def prefix_afi(item: NLRIItem) -> AFI:
    """The AFI a prefix belongs to."""
    prefix = item.prefix if isinstance(item, PathPrefix) else item
    return AFI.IPV4 if prefix.version == 4 else AFI.IPV6


def as_prefix(value: str | Prefix) -> Prefix:
    """Parse ``"192.0.2.0/24"`` strictly (host bits must be zero)."""
    if isinstance(value, IPv4Network | IPv6Network):
        return value
    return ipaddress.ip_network(value)
