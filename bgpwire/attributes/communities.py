"""COMMUNITIES (RFC 1997) and LARGE_COMMUNITY (RFC 8092), with their text forms.

The extended communities of RFC 4360 live in :mod:`bgpwire.attributes.ext_communities` and are
re-exported here, so that every community type can be imported from one place.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, NamedTuple, Self

from bgpwire.attributes.base import OPTIONAL_TRANSITIVE, PathAttribute
from bgpwire.attributes.ext_communities import (
    Encapsulation,
    ExtendedCommunities,
    ExtendedCommunity,
    LinkBandwidth,
    RawExtendedCommunity,
    RouteOrigin,
    RouteTarget,
    parse_extended_community,
)
from bgpwire.constants import AttrType
from bgpwire.context import Negotiated
from bgpwire.errors import AttributeLengthError, LocalProtocolError
from bgpwire.slots import slot_setters

__all__ = [
    "Communities",
    "Encapsulation",
    "ExtendedCommunities",
    "ExtendedCommunity",
    "LargeCommunities",
    "LargeCommunity",
    "LinkBandwidth",
    "RawExtendedCommunity",
    "RouteOrigin",
    "RouteTarget",
    "WellKnownCommunity",
    "format_community",
    "parse_community",
    "parse_extended_community",
]

_MAX_U32 = 0xFFFFFFFF
_STRUCTS = 256
"""Precompiled unpackers for up to this many 4-octet integers; longer values build their own."""
_UNPACK = [struct.Struct(f">{n}I") for n in range(_STRUCTS)]


_new = object.__new__
(_set_flags,) = slot_setters(PathAttribute, "flags").values()


def _unpack_u32s(data: bytes, count: int) -> tuple[int, ...]:
    if count < _STRUCTS:
        return _UNPACK[count].unpack(data)
    return struct.unpack(f">{count}I", data)


def _pack_u32s(numbers: tuple[int, ...] | list[int]) -> bytes:
    count = len(numbers)
    if count < _STRUCTS:
        return _UNPACK[count].pack(*numbers)
    return struct.pack(f">{count}I", *numbers)


class WellKnownCommunity(IntEnum):
    """Communities with an agreed meaning (IANA "BGP Well-known Communities")."""

    GRACEFUL_SHUTDOWN = 0xFFFF0000  # RFC 8326
    ACCEPT_OWN = 0xFFFF0001  # RFC 7611
    LLGR_STALE = 0xFFFF0006  # RFC 9494
    NO_LLGR = 0xFFFF0007  # RFC 9494
    BLACKHOLE = 0xFFFF029A  # RFC 7999
    NO_EXPORT = 0xFFFFFF01  # RFC 1997
    NO_ADVERTISE = 0xFFFFFF02  # RFC 1997
    NO_EXPORT_SUBCONFED = 0xFFFFFF03  # RFC 1997
    NO_PEER = 0xFFFFFF04  # RFC 3765


_NAMES = {int(c): c.name.lower().replace("_", "-") for c in WellKnownCommunity}
_BY_NAME = {name: value for value, name in _NAMES.items()}


def format_community(value: int) -> str:
    """``"no-export"`` for a well-known community, ``"65000:100"`` (AS:local) otherwise."""
    name = _NAMES.get(value)
    if name is not None:
        return name
    return f"{value >> 16}:{value & 0xFFFF}"


def parse_community(text: str) -> int:
    """Inverse of :func:`format_community`; also accepts upper case and underscores in names.

    Raises ValueError naming the text when it is neither a name nor two 16-bit numbers.
    """
    key = text.strip().lower().replace("_", "-")
    value = _BY_NAME.get(key)
    if value is not None:
        return value
    high, sep, low = key.partition(":")
    if sep and high.isdigit() and low.isdigit():
        asn, local = int(high), int(low)
        if asn <= 0xFFFF and local <= 0xFFFF:
            return (asn << 16) | local
    raise ValueError(f"not a community: {text!r} (expected AS:value or a well-known name)")


@dataclass(frozen=True, slots=True)
class Communities(PathAttribute):
    """The COMMUNITIES attribute (RFC 1997): 32-bit values, usually shown as AS:value.

    Order and repetition are kept as received. RFC 7606 §7.8: a length that is not a non-zero
    multiple of 4 is malformed, hence at least one value.
    """

    values: tuple[int, ...]

    TYPE: ClassVar[int] = AttrType.COMMUNITIES
    CATEGORY: ClassVar[int] = OPTIONAL_TRANSITIVE

    def __post_init__(self) -> None:
        if not isinstance(self.values, tuple):
            object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise LocalProtocolError("a COMMUNITIES attribute holds at least one community")
        if len(self.values) > 0xFFFF // 4:
            raise LocalProtocolError(f"{len(self.values)} communities do not fit in an attribute")
        for value in self.values:
            if not 0 <= value <= _MAX_U32:
                raise LocalProtocolError(f"community {value} does not fit in 4 octets")

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        n = len(data)
        if n == 0 or n & 3:
            raise AttributeLengthError(
                f"COMMUNITIES of {n} octets is not a non-zero multiple of 4", data
            )
        obj = _new(cls)  # the bytes bound every value: skip the constructor's checks
        _set_flags(obj, None)
        _set_communities(obj, _unpack_u32s(data, n >> 2))
        return obj

    def encode_value(self, ctx: Negotiated) -> bytes:
        return _pack_u32s(self.values)

    def __contains__(self, value: int) -> bool:
        return value in self.values

    def __str__(self) -> str:
        return " ".join(map(format_community, self.values))


(_set_communities,) = slot_setters(Communities, "values").values()


class LargeCommunity(NamedTuple):
    """One large community (RFC 8092 §3): three 32-bit numbers, written ``1:2:3``.

    The global administrator is the AS that defined it; the two local data parts are that AS's.
    """

    global_admin: int
    local1: int
    local2: int

    def __str__(self) -> str:
        return f"{self.global_admin}:{self.local1}:{self.local2}"

    @classmethod
    def parse(cls, text: str) -> LargeCommunity:
        """Inverse of ``str()``; raises ValueError naming the text."""
        parts = text.strip().split(":")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            numbers = [int(p) for p in parts]
            if all(n <= _MAX_U32 for n in numbers):
                return cls(*numbers)
        raise ValueError(f"not a large community: {text!r} (expected three 32-bit numbers a:b:c)")


@dataclass(frozen=True, slots=True)
class LargeCommunities(PathAttribute):
    """The LARGE_COMMUNITY attribute (RFC 8092), optional transitive.

    RFC 8092 §5: a length that is not a non-zero multiple of 12 is malformed (treat as withdraw).
    Duplicates are kept as received; RFC 8092 §5 lets a receiver drop them but not require it.
    """

    values: tuple[LargeCommunity, ...]

    TYPE: ClassVar[int] = AttrType.LARGE_COMMUNITY
    CATEGORY: ClassVar[int] = OPTIONAL_TRANSITIVE

    def __post_init__(self) -> None:
        if not isinstance(self.values, tuple):
            object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise LocalProtocolError("a LARGE_COMMUNITY attribute holds at least one community")
        if len(self.values) > 0xFFFF // 12:
            raise LocalProtocolError(f"{len(self.values)} large communities do not fit")
        values = []
        for value in self.values:
            if len(value) != 3 or not all(0 <= part <= _MAX_U32 for part in value):
                raise LocalProtocolError(f"large community {value!r} is not three 32-bit numbers")
            values.append(value if type(value) is LargeCommunity else LargeCommunity(*value))
        object.__setattr__(self, "values", tuple(values))

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        n = len(data)
        if n == 0 or n % 12:
            raise AttributeLengthError(
                f"LARGE_COMMUNITY of {n} octets is not a non-zero multiple of 12", data
            )
        numbers = iter(_unpack_u32s(data, n >> 2))
        obj = _new(cls)
        _set_flags(obj, None)
        _set_large(obj, tuple(map(LargeCommunity, numbers, numbers, numbers)))
        return obj

    def encode_value(self, ctx: Negotiated) -> bytes:
        flat = [part for value in self.values for part in value]
        return _pack_u32s(flat)

    def __str__(self) -> str:
        return " ".join(map(str, self.values))



_set_large = LargeCommunities.__dict__["values"].__set__
