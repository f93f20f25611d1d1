"""The EXTENDED_COMMUNITIES attribute (RFC 4360) and typed values for its common members.

Each extended community is eight octets: a type octet (bit 0x40 set means non-transitive
across ASes, bit 0x80 marks the IANA-assigned ranges), a sub-type octet for the "extended" types,
and six octets of value (RFC 4360 §2, RFC 7153 §2). bgpwire gives names to:

* route target and route origin (RFC 4360 §4-5, RFC 5668 §2) in each of the three
  global-administrator forms: 2-octet AS (type 0x00), IPv4 address (0x01), 4-octet AS (0x02);
* link bandwidth (draft-ietf-idr-link-bandwidth, IANA sub-type 0x04 of the two-octet AS types):
  the AS and the bandwidth as an IEEE float in octets per second;
* encapsulation (RFC 9012 §4.1, opaque type 0x03, sub-type 0x0c): a tunnel type.

Every other value stays a :class:`RawExtendedCommunity` of type, sub-type and six octets, and is
re-encoded unchanged. A typed value is decoded only when encoding it back gives the same eight
octets; anything else (a non-zero reserved field, a link bandwidth that is not a finite
non-negative number) stays raw too.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import AddressValueError, IPv4Address
from typing import ClassVar, Self

from bgpwire.attributes.base import OPTIONAL_TRANSITIVE, PathAttribute
from bgpwire.constants import AttrType
from bgpwire.context import Negotiated
from bgpwire.errors import AttributeLengthError, LocalProtocolError

__all__ = [
    "Encapsulation",
    "ExtendedCommunities",
    "ExtendedCommunity",
    "LinkBandwidth",
    "RawExtendedCommunity",
    "RouteOrigin",
    "RouteTarget",
    "parse_extended_community",
]

NON_TRANSITIVE = 0x40
"""The bit of the type octet that stops a community at the AS border (RFC 4360 §2)."""

_AS2 = 0x00  # Two-Octet AS-Specific (RFC 4360 §3.1)
_IPV4 = 0x01  # IPv4-Address-Specific (RFC 4360 §3.2)
_AS4 = 0x02  # Four-Octet AS-Specific (RFC 5668 §2)
_OPAQUE = 0x03  # Opaque (RFC 4360 §3.3)
_ROUTE_TARGET = 0x02
_ROUTE_ORIGIN = 0x03
_LINK_BANDWIDTH = 0x04
_ENCAPSULATION = 0x0C

_HH_I = struct.Struct(">BBHI")
_BB4sH = struct.Struct(">BB4sH")
_BBIH = struct.Struct(">BBIH")
_BBHf = struct.Struct(">BBHf")
_BB4xH = struct.Struct(">BB4xH")
_F32 = struct.Struct(">f")


@dataclass(frozen=True, slots=True)
class ExtendedCommunity:
    """Base of every extended community value: it knows its eight octets."""

    def encode(self) -> bytes:
        """The eight octets on the wire."""
        raise NotImplementedError

    @property
    def is_transitive(self) -> bool:
        """Whether the community may cross an AS border (the 0x40 bit of the type is clear)."""
        return not self.encode()[0] & NON_TRANSITIVE

    @staticmethod
    def decode(data: bytes) -> ExtendedCommunity:
        """The typed value for eight octets, or a :class:`RawExtendedCommunity`."""
        decoder = _DECODERS.get((data[0], data[1]))
        if decoder is not None:
            value = decoder(data)
            if value is not None:
                return value
        return RawExtendedCommunity(data[0], data[1], bytes(data[2:8]))


def _check_octet(name: str, value: int) -> None:
    if not 0 <= value <= 0xFF:
        raise LocalProtocolError(f"{name} {value} does not fit in one octet")


def _suffix(transitive: bool, default: bool) -> str:
    if transitive == default:
        return ""
    return " transitive" if transitive else " non-transitive"


@dataclass(frozen=True, slots=True)
class RawExtendedCommunity(ExtendedCommunity):
    """An extended community bgpwire has no type for: type, sub-type and six value octets."""

    type: int
    subtype: int
    value: bytes

    def __post_init__(self) -> None:
        _check_octet("extended community type", self.type)
        _check_octet("extended community sub-type", self.subtype)
        if len(self.value) != 6:
            raise LocalProtocolError(
                f"an extended community value is 6 octets, not {len(self.value)}"
            )

    def encode(self) -> bytes:
        return bytes((self.type, self.subtype)) + self.value

    def __str__(self) -> str:
        return f"raw {self.type:02x}:{self.subtype:02x}:{self.value.hex()}"


@dataclass(frozen=True, slots=True)
class _AdminSpecific(ExtendedCommunity):
    """A global administrator (AS number or IPv4 address) and a local administrator number.

    The form is explicit so that values survive a round trip: an ``IPv4Address`` is the IPv4
    form; an integer is the 2-octet AS form (AS up to 65535, local part up to 2**32-1) unless
    ``four_octet_as`` asks for the 4-octet AS form (local part up to 65535, RFC 5668).
    """

    global_admin: int | IPv4Address
    local_admin: int
    four_octet_as: bool = False
    transitive: bool = True

    SUBTYPE: ClassVar[int]
    KEYWORD: ClassVar[str]

    def __post_init__(self) -> None:
        ga = self.global_admin
        if isinstance(ga, IPv4Address):
            if self.four_octet_as:
                raise LocalProtocolError("an IPv4 global administrator is not a 4-octet AS")
            ga_max, la_max = None, 0xFFFF
        elif isinstance(ga, int):
            ga_max, la_max = (0xFFFFFFFF, 0xFFFF) if self.four_octet_as else (0xFFFF, 0xFFFFFFFF)
            if not 0 <= ga <= ga_max:
                raise LocalProtocolError(
                    f"{self.KEYWORD} global administrator {ga} is out of range"
                )
        else:
            raise LocalProtocolError(f"global administrator {ga!r} is not an int or IPv4Address")
        if not 0 <= self.local_admin <= la_max:
            raise LocalProtocolError(
                f"{self.KEYWORD} local administrator {self.local_admin} exceeds {la_max}"
            )

    def encode(self) -> bytes:
        flag = 0 if self.transitive else NON_TRANSITIVE
        ga = self.global_admin
        if isinstance(ga, IPv4Address):
            return _BB4sH.pack(_IPV4 | flag, self.SUBTYPE, ga.packed, self.local_admin)
        if self.four_octet_as:
            return _BBIH.pack(_AS4 | flag, self.SUBTYPE, ga, self.local_admin)
        return _HH_I.pack(_AS2 | flag, self.SUBTYPE, ga, self.local_admin)

    def __str__(self) -> str:
        ga = str(self.global_admin)
        small = isinstance(self.global_admin, int) and self.global_admin <= 0xFFFF
        if self.four_octet_as and small:
            ga += "L"  # a small AS in the 4-octet form, so that parsing gives the same form
        return f"{self.KEYWORD} {ga}:{self.local_admin}{_suffix(self.transitive, True)}"

    @classmethod
    def _from_text(cls, text: str, transitive: bool) -> Self:
        ga_text, sep, la_text = text.rpartition(":")
        if not sep:
            raise ValueError
        local = int(la_text)
        if "." in ga_text:
            return cls(IPv4Address(ga_text), local, transitive=transitive)
        four = ga_text.endswith("L")
        asn = int(ga_text.removesuffix("L"))
        return cls(asn, local, four_octet_as=four or asn > 0xFFFF, transitive=transitive)


@dataclass(frozen=True, slots=True)
class RouteTarget(_AdminSpecific):
    """Route target (RFC 4360 §4): which VRFs import the route. ``rt 65000:100``."""

    SUBTYPE: ClassVar[int] = _ROUTE_TARGET
    KEYWORD: ClassVar[str] = "rt"


@dataclass(frozen=True, slots=True)
class RouteOrigin(_AdminSpecific):
    """Route origin, also "site of origin" (RFC 4360 §5). ``ro 192.0.2.1:5``."""

    SUBTYPE: ClassVar[int] = _ROUTE_ORIGIN
    KEYWORD: ClassVar[str] = "ro"


@dataclass(frozen=True, slots=True)
class LinkBandwidth(ExtendedCommunity):
    """Link bandwidth (draft-ietf-idr-link-bandwidth): an AS and a bandwidth in octets per second.

    The bandwidth travels as an IEEE 754 single-precision float, so the stored value is rounded
    to the nearest float32 on construction (decoding gives back the same number). IANA registers
    it as non-transitive (type 0x40) and, separately, transitive (type 0x00).
    """

    asn: int
    bandwidth: float
    transitive: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.asn <= 0xFFFF:
            raise LocalProtocolError(f"link bandwidth AS {self.asn} does not fit in 2 octets")
        bw = float(self.bandwidth)
        if not math.isfinite(bw) or math.copysign(1.0, bw) < 0:
            raise LocalProtocolError(f"link bandwidth {self.bandwidth} is not a finite number >= 0")
        try:
            rounded = _F32.unpack(_F32.pack(bw))[0]
        except OverflowError:
            raise LocalProtocolError(f"link bandwidth {bw} exceeds a 32-bit float") from None
        object.__setattr__(self, "bandwidth", rounded)

    def encode(self) -> bytes:
        flag = 0 if self.transitive else NON_TRANSITIVE
        return _BBHf.pack(_AS2 | flag, _LINK_BANDWIDTH, self.asn, self.bandwidth)

    def __str__(self) -> str:
        return f"link-bandwidth {self.asn}:{self.bandwidth!r}{_suffix(self.transitive, False)}"


@dataclass(frozen=True, slots=True)
class Encapsulation(ExtendedCommunity):
    """Encapsulation (RFC 9012 §4.1): the tunnel type to reach the next hop with (8 is VXLAN).

    Four reserved octets, then the 2-octet tunnel type from the IANA "BGP Tunnel Encapsulation
    Attribute Tunnel Types" registry.
    """

    tunnel_type: int
    transitive: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.tunnel_type <= 0xFFFF:
            raise LocalProtocolError(f"tunnel type {self.tunnel_type} does not fit in 2 octets")

    def encode(self) -> bytes:
        flag = 0 if self.transitive else NON_TRANSITIVE
        return _BB4xH.pack(_OPAQUE | flag, _ENCAPSULATION, self.tunnel_type)

    def __str__(self) -> str:
        return f"encap {self.tunnel_type}{_suffix(self.transitive, True)}"


def _admin_decoder(
    cls: type[_AdminSpecific], form: int
) -> Callable[[bytes], ExtendedCommunity | None]:
    def decode(data: bytes) -> ExtendedCommunity | None:
        transitive = not data[0] & NON_TRANSITIVE
        if form == _AS2:
            _, _, ga, la = _HH_I.unpack_from(data)
            return cls(ga, la, transitive=transitive)
        if form == _IPV4:
            _, _, address, la = _BB4sH.unpack_from(data)
            return cls(IPv4Address(address), la, transitive=transitive)
        _, _, ga, la = _BBIH.unpack_from(data)
        return cls(ga, la, four_octet_as=True, transitive=transitive)

    return decode


def _decode_link_bandwidth(data: bytes) -> ExtendedCommunity | None:
    _, _, asn, bandwidth = _BBHf.unpack_from(data)
    if data[4] & 0x80 or not math.isfinite(bandwidth):
        return None  # a sign bit, infinity or NaN: keep the exact bits as a raw value
    return LinkBandwidth(asn, bandwidth, transitive=not data[0] & NON_TRANSITIVE)


def _decode_encapsulation(data: bytes) -> ExtendedCommunity | None:
    if any(data[2:6]):
        return None  # a non-zero reserved field would be lost
    return Encapsulation(int.from_bytes(data[6:8]), transitive=not data[0] & NON_TRANSITIVE)


_DECODERS: dict[tuple[int, int], Callable[[bytes], ExtendedCommunity | None]] = {}
for _flag in (0, NON_TRANSITIVE):
    for _form in (_AS2, _IPV4, _AS4):
        _DECODERS[(_form | _flag, _ROUTE_TARGET)] = _admin_decoder(RouteTarget, _form)
        _DECODERS[(_form | _flag, _ROUTE_ORIGIN)] = _admin_decoder(RouteOrigin, _form)
    _DECODERS[(_AS2 | _flag, _LINK_BANDWIDTH)] = _decode_link_bandwidth
    _DECODERS[(_OPAQUE | _flag, _ENCAPSULATION)] = _decode_encapsulation


def parse_extended_community(text: str) -> ExtendedCommunity:
    """Inverse of ``str()`` on every extended community type.

    ``rt 65000:100``, ``ro 192.0.2.1:5``, ``rt 4200000000:7``, ``rt 65000L:7`` (4-octet form),
    ``link-bandwidth 65000:125000000.0``, ``encap 8``, ``raw 80:06:000000000000``; any of them
    may end in ``transitive`` or ``non-transitive``. Raises ValueError naming the text.
    """
    words = text.split()
    try:
        if not 2 <= len(words) <= 3:
            raise ValueError
        keyword, body = words[0].lower(), words[1]
        qualifier = words[2].lower() if len(words) == 3 else None
        if qualifier not in (None, "transitive", "non-transitive"):
            raise ValueError
        if keyword in ("rt", "ro"):
            cls = RouteTarget if keyword == "rt" else RouteOrigin
            return cls._from_text(body, qualifier != "non-transitive")
        if keyword == "link-bandwidth":
            asn, bandwidth = body.split(":")
            return LinkBandwidth(int(asn), float(bandwidth), transitive=qualifier == "transitive")
        if keyword == "encap":
            return Encapsulation(int(body), transitive=qualifier != "non-transitive")
        if keyword == "raw" and qualifier is None:
            type_text, subtype_text, value_text = body.split(":")
            return RawExtendedCommunity(
                int(type_text, 16), int(subtype_text, 16), bytes.fromhex(value_text)
            )
        raise ValueError
    except (ValueError, AddressValueError):  # LocalProtocolError is a ValueError as well
        raise ValueError(f"not an extended community: {text!r}") from None


@dataclass(frozen=True, slots=True)
class ExtendedCommunities(PathAttribute):
    """The EXTENDED_COMMUNITIES attribute (RFC 4360 §2), optional transitive.

    RFC 7606 §7.14: a length that is not a non-zero multiple of 8 is malformed.
    """

    values: tuple[ExtendedCommunity, ...]

    TYPE: ClassVar[int] = AttrType.EXTENDED_COMMUNITIES
    CATEGORY: ClassVar[int] = OPTIONAL_TRANSITIVE

    def __post_init__(self) -> None:
        if not isinstance(self.values, tuple):
            object.__setattr__(self, "values", tuple(self.values))
        if not self.values:
            raise LocalProtocolError("an EXTENDED_COMMUNITIES attribute holds at least one value")
        if len(self.values) > 0xFFFF // 8:
            raise LocalProtocolError(f"{len(self.values)} extended communities do not fit")
        for value in self.values:
            if not isinstance(value, ExtendedCommunity):
                raise LocalProtocolError(f"{value!r} is not an ExtendedCommunity")

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        n = len(data)
        if n == 0 or n % 8:
            raise AttributeLengthError(
                f"EXTENDED_COMMUNITIES of {n} octets is not a non-zero multiple of 8", data
            )
        decode = ExtendedCommunity.decode
        values = tuple(decode(data[i:i + 8]) for i in range(0, n, 8))
        obj = object.__new__(cls)
        object.__setattr__(obj, "flags", None)
        object.__setattr__(obj, "values", values)
        return obj

    def encode_value(self, ctx: Negotiated) -> bytes:
        return b"".join(value.encode() for value in self.values)

    def __str__(self) -> str:
        return " ".join(map(str, self.values))
