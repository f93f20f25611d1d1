"""MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3, §4): routes of any address family.

For the plain prefix families (IPv4 and IPv6 unicast and multicast,
:data:`bgpwire.families.PREFIX_FAMILIES`) the next hop is decoded into addresses and the NLRI
into a lazy :class:`~bgpwire.prefixes.PrefixList`, which checks the bytes at once but builds
network objects only when someone looks at them. Every other family keeps its next hop and NLRI
as bytes, re-encoded unchanged, so that a speaker can carry families it does not interpret.

Errors in either attribute are reported as Optional Attribute Error (RFC 4760 §7); RFC 7606
§7.11 has them end the session or disable the family, never just withdraw routes, because the
routes the attribute was meant to carry cannot be known for sure.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from typing import ClassVar, Self

from bgpwire.attributes.base import EXTENDED_LENGTH, OPTIONAL_NON_TRANSITIVE, PathAttribute
from bgpwire.constants import AFI, SAFI, AttrType
from bgpwire.context import Negotiated
from bgpwire.errors import InvalidNetworkField, LocalProtocolError, OptionalAttributeError
from bgpwire.families import IPV6_UNICAST, PREFIX_FAMILIES, Family
from bgpwire.prefixes import (
    NLRIItem,
    PathPrefix,
    PrefixList,
    encode_prefixes,
    prefix_afi,
)
from bgpwire.slots import slot_setters

__all__ = ["MPReachNLRI", "MPUnreachNLRI"]

NextHopAddress = IPv4Address | IPv6Address

_HEAD = struct.Struct(">HBB")
_PREFIX_FAMILY_BY_KEY: dict[int, Family] = {(f.afi << 8) | f.safi: f for f in PREFIX_FAMILIES}
"""The prefix families, keyed by their three wire octets read as one integer."""
_NEXT_HOPS: dict[int, dict[bytes, tuple[NextHopAddress, ...]]] = {AFI.IPV4: {}, AFI.IPV6: {}}
"""Decoded next hops per AFI, by their bytes: a session has few."""
_CACHE_SIZE = 1024
_new = object.__new__
(_set_flags,) = slot_setters(PathAttribute, "flags").values()


def _decode_next_hop(data: bytes, afi: int, value: bytes) -> tuple[NextHopAddress, ...]:
    """Next-hop addresses of a prefix family (RFC 4760 §3, RFC 2545 §3, RFC 8950 §3).

    ``value`` is the whole attribute value, for the error report.
    """
    cache = _NEXT_HOPS[afi]
    hops = cache.get(data)
    if hops is not None:
        return hops
    n = len(data)
    if n == 16:
        hops = (IPv6Address(data),)
    elif n == 32:  # global address and link-local address
        hops = (IPv6Address(data[:16]), IPv6Address(data[16:]))
    elif n == 4 and afi == AFI.IPV4:
        hops = (IPv4Address(data),)
    else:
        allowed = "4, 16 or 32" if afi == AFI.IPV4 else "16 or 32"
        raise OptionalAttributeError(
            f"MP_REACH_NLRI next hop of {n} octets for AFI {afi}, expected {allowed}", value
        )
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[bytes(data)] = hops
    return hops


def _check_next_hops(family: Family, hops: tuple[NextHopAddress, ...]) -> None:
    kinds = tuple(type(hop) for hop in hops)
    if kinds in ((IPv6Address,), (IPv6Address, IPv6Address)):
        return
    if kinds == (IPv4Address,) and family.afi == AFI.IPV4:
        return
    raise LocalProtocolError(
        f"next hops {hops!r} do not fit {family}: one IPv4 address (IPv4 families only), "
        "or an IPv6 global address optionally followed by a link-local one"
    )


def _prefixes(family: Family, items: Sequence[NLRIItem], what: str) -> Sequence[NLRIItem]:
    """Check that ``items`` are prefixes of the family's AFI; return an immutable sequence."""
    afi = family.afi
    if isinstance(items, PrefixList):
        if items.wire_bytes(afi, False) is None and items.wire_bytes(afi, True) is None:
            raise LocalProtocolError(f"{what} were decoded for another AFI than {family}")
        return items
    items = tuple(items)
    for item in items:
        prefix = item.prefix if isinstance(item, PathPrefix) else item
        if not hasattr(prefix, "prefixlen") or prefix_afi(item) != afi:
            raise LocalProtocolError(f"{what}: {item!r} is not a prefix of {family}")
    return items


def _check_family(family: Family) -> Family:
    if not isinstance(family, Family):
        family = Family(*family)
    if not (0 <= family.afi <= 0xFFFF and 0 <= family.safi <= 0xFF):
        raise LocalProtocolError(f"AFI {family.afi} / SAFI {family.safi} out of range")
    return family


@dataclass(frozen=True, slots=True)
class MPReachNLRI(PathAttribute):
    """MP_REACH_NLRI (RFC 4760 §3): reachable routes of one family and their next hop.

    For a prefix family, ``next_hops`` holds one IPv4 address (IPv4 families), or an IPv6
    global address optionally followed by a link-local one (IPv6 families, RFC 2545 §3, and
    IPv4 families over an IPv6 next hop, RFC 8950), and ``nlri`` the prefixes (with path
    identifiers where ADD-PATH is negotiated for the family); ``raw_next_hop`` and
    ``raw_nlri`` are empty. For any other family it is the reverse. ``reserved`` is the octet
    RFC 4760 says to send as zero and ignore; it is kept so that re-encoding is exact.
    """

    family: Family
    next_hops: tuple[NextHopAddress, ...]
    nlri: Sequence[NLRIItem]
    raw_next_hop: bytes = b""
    raw_nlri: bytes = b""
    reserved: int = 0

    TYPE: ClassVar[int] = AttrType.MP_REACH_NLRI
    CATEGORY: ClassVar[int] = OPTIONAL_NON_TRANSITIVE

    def __post_init__(self) -> None:
        family = _check_family(self.family)
        object.__setattr__(self, "family", family)
        if not 0 <= self.reserved <= 0xFF:
            raise LocalProtocolError(f"reserved octet {self.reserved} does not fit in one octet")
        if not isinstance(self.next_hops, tuple):
            object.__setattr__(self, "next_hops", tuple(self.next_hops))
        if family in PREFIX_FAMILIES:
            if self.raw_next_hop or self.raw_nlri:
                raise LocalProtocolError(f"{family} takes next_hops and nlri, not raw bytes")
            _check_next_hops(family, self.next_hops)
            object.__setattr__(self, "nlri", _prefixes(family, self.nlri, "NLRI"))
        else:
            if self.next_hops or len(self.nlri):
                raise LocalProtocolError(f"{family} takes raw_next_hop and raw_nlri")
            object.__setattr__(self, "nlri", ())
            if len(self.raw_next_hop) > 0xFF:
                raise LocalProtocolError("a next hop is at most 255 octets")

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        reach = decode_ipv6_unicast_reach(data, 0, len(data), _OPTIONAL_BIT, ctx)
        if reach is not None and cls is MPReachNLRI:
            return reach  # type: ignore[return-value]  # cls is MPReachNLRI itself
        n = len(data)
        if n < 5:
            raise OptionalAttributeError(f"MP_REACH_NLRI of {n} octets is too short", data)
        nh_len = data[3]
        nlri_start = 5 + nh_len
        if nlri_start > n:
            raise OptionalAttributeError(
                f"MP_REACH_NLRI next hop of {nh_len} octets overruns the attribute", data
            )
        obj = _new(cls)
        family = _PREFIX_FAMILY_BY_KEY.get((data[0] << 16) | (data[1] << 8) | data[2])
        if family is not None:
            afi = family.afi
            next_hops = _decode_next_hop(data[4:4 + nh_len], afi, data)
            add_path = ctx.add_path
            try:
                nlri: Sequence[NLRIItem] = PrefixList.decode(
                    data[nlri_start:], afi, bool(add_path) and family in add_path
                )
            except InvalidNetworkField as exc:
                raise OptionalAttributeError(f"MP_REACH_NLRI: {exc.reason}", data) from None
            raw_next_hop = raw_nlri = b""
        else:
            family = Family.of((data[0] << 8) | data[1], data[2])
            next_hops = ()
            nlri = ()
            raw_next_hop = bytes(data[4:4 + nh_len])
            raw_nlri = bytes(data[nlri_start:])
        # The bytes bound every field already: skip the constructor's checks and write the
        # slots directly (a third of the cost of object.__setattr__).
        _set_flags(obj, None)
        _SET_REACH["family"](obj, family)
        _SET_REACH["next_hops"](obj, next_hops)
        _SET_REACH["nlri"](obj, nlri)
        _SET_REACH["raw_next_hop"](obj, raw_next_hop)
        _SET_REACH["raw_nlri"](obj, raw_nlri)
        _SET_REACH["reserved"](obj, data[4 + nh_len])
        return obj

    def with_flags(self, flags: int | None) -> Self:
        # Many speakers set Extended Length on every MP_REACH_NLRI, so the UPDATE decoder calls
        # this often: copy the already checked fields instead of re-running the constructor.
        obj = _new(type(self))
        _set_flags(obj, flags)
        for name, set_field in _SET_REACH.items():
            set_field(obj, getattr(self, name))
        return obj

    def encode_value(self, ctx: Negotiated) -> bytes:
        family = self.family
        if family in PREFIX_FAMILIES:
            next_hop = b"".join(hop.packed for hop in self.next_hops)
            nlri = encode_prefixes(self.nlri, family.afi, family in ctx.add_path)
        else:
            next_hop = self.raw_next_hop
            nlri = self.raw_nlri
        head = _HEAD.pack(family.afi, family.safi, len(next_hop))
        return b"".join((head, next_hop, bytes((self.reserved,)), nlri))

    def __str__(self) -> str:
        hops = " ".join(map(str, self.next_hops)) or self.raw_next_hop.hex()
        count = len(self.nlri) if self.family in PREFIX_FAMILIES else len(self.raw_nlri)
        unit = "prefixes" if self.family in PREFIX_FAMILIES else "octets of NLRI"
        return f"{self.family} next-hop {hops or '-'}: {count} {unit}"


_SET_REACH = slot_setters(
    MPReachNLRI, "family", "next_hops", "nlri", "raw_next_hop", "raw_nlri", "reserved")
(_set_reach_family, _set_reach_next_hops, _set_reach_nlri, _set_reach_raw_next_hop,
 _set_reach_raw_nlri, _set_reach_reserved) = _SET_REACH.values()
_IPV6_UNICAST_GLOBAL_HOP = bytes((0, AFI.IPV6, SAFI.UNICAST, 16))
"""The first four octets of an IPv6 unicast MP_REACH_NLRI with a 16-octet next hop."""
_IPV6_NEXT_HOPS = _NEXT_HOPS[AFI.IPV6]
_prefix_list = PrefixList.decode
_OPTIONAL_BIT = int(OPTIONAL_NON_TRANSITIVE)
_EXTENDED_LENGTH_BIT = int(EXTENDED_LENGTH)


def decode_ipv6_unicast_reach(
    data: bytes, start: int, stop: int, flags: int, ctx: Negotiated
) -> MPReachNLRI | None:
    """The MP_REACH_NLRI whose value is ``data[start:stop]``, received with ``flags``, if it is
    the one every UPDATE of an IPv6 table carries: IPv6 unicast, one global next hop, no path
    identifiers, well-formed. ``None`` for anything else, which :meth:`MPReachNLRI.decode_value`
    then decodes, or reports, the general way.

    The UPDATE decoder calls it with the value still inside the message, sparing a copy, and
    with the flags octet, so that they are written once.
    """
    if (stop - start < 21 or not data.startswith(_IPV6_UNICAST_GLOBAL_HOP, start)
            or ctx.add_path or flags & 0xC0 != _OPTIONAL_BIT):
        return None
    try:
        prefixes = _prefix_list(data[start + 21:stop], AFI.IPV6, False)
    except InvalidNetworkField:
        return None
    canonical = _OPTIONAL_BIT | _EXTENDED_LENGTH_BIT if stop - start > 255 else _OPTIONAL_BIT
    return ipv6_unicast_reach(data[start + 4:start + 20], data[start + 20],
                              None if flags == canonical else flags, prefixes)


def ipv6_unicast_reach(
    next_hop: bytes, reserved: int, flags: int | None, nlri: Sequence[NLRIItem]
) -> MPReachNLRI:
    """The IPv6 unicast MP_REACH_NLRI with a 16-octet global ``next_hop`` and ``nlri`` (of that
    family, checked), for a decoder that has checked the rest of the attribute itself."""
    hops = _IPV6_NEXT_HOPS.get(next_hop)
    if hops is None:
        hops = _decode_next_hop(next_hop, AFI.IPV6, next_hop)
    reach = _new(MPReachNLRI)
    _set_flags(reach, flags)
    _set_reach_family(reach, IPV6_UNICAST)
    _set_reach_next_hops(reach, hops)
    _set_reach_nlri(reach, nlri)
    _set_reach_raw_next_hop(reach, b"")
    _set_reach_raw_nlri(reach, b"")
    _set_reach_reserved(reach, reserved)
    return reach


@dataclass(frozen=True, slots=True)
class MPUnreachNLRI(PathAttribute):
    """MP_UNREACH_NLRI (RFC 4760 §4): withdrawn routes of one family.

    With nothing withdrawn it is the End-of-RIB marker of the family (RFC 4724 §2), see
    :attr:`is_end_of_rib` and :meth:`end_of_rib`.
    """

    family: Family
    withdrawn: Sequence[NLRIItem] = ()
    raw_withdrawn: bytes = b""

    TYPE: ClassVar[int] = AttrType.MP_UNREACH_NLRI
    CATEGORY: ClassVar[int] = OPTIONAL_NON_TRANSITIVE

    def __post_init__(self) -> None:
        family = _check_family(self.family)
        object.__setattr__(self, "family", family)
        if family in PREFIX_FAMILIES:
            if self.raw_withdrawn:
                raise LocalProtocolError(f"{family} takes withdrawn, not raw bytes")
            object.__setattr__(self, "withdrawn", _prefixes(family, self.withdrawn, "withdrawn"))
        else:
            if len(self.withdrawn):
                raise LocalProtocolError(f"{family} takes raw_withdrawn")
            object.__setattr__(self, "withdrawn", ())

    @classmethod
    def end_of_rib(cls, family: Family) -> Self:
        """The End-of-RIB marker of ``family`` (RFC 4724 §2)."""
        return cls(family)

    @property
    def is_end_of_rib(self) -> bool:
        """True when nothing is withdrawn: the End-of-RIB marker (RFC 4724 §2)."""
        return not self.raw_withdrawn and not len(self.withdrawn)

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        n = len(data)
        if n < 3:
            raise OptionalAttributeError(f"MP_UNREACH_NLRI of {n} octets is too short", data)
        family = _PREFIX_FAMILY_BY_KEY.get((data[0] << 16) | (data[1] << 8) | data[2])
        withdrawn: Sequence[NLRIItem] = ()
        raw = b""
        if family is not None:
            try:
                add_path = bool(ctx.add_path) and family in ctx.add_path
                withdrawn = PrefixList.decode(data[3:], family.afi, add_path)
            except InvalidNetworkField as exc:
                raise OptionalAttributeError(f"MP_UNREACH_NLRI: {exc.reason}", data) from None
        else:
            family = Family.of((data[0] << 8) | data[1], data[2])
            raw = bytes(data[3:])
        obj = _new(cls)
        _set_flags(obj, None)
        _SET_UNREACH["family"](obj, family)
        _SET_UNREACH["withdrawn"](obj, withdrawn)
        _SET_UNREACH["raw_withdrawn"](obj, raw)
        return obj

    def with_flags(self, flags: int | None) -> Self:
        obj = _new(type(self))  # the fields are checked already (see MPReachNLRI.with_flags)
        _set_flags(obj, flags)
        for name, set_field in _SET_UNREACH.items():
            set_field(obj, getattr(self, name))
        return obj

    def encode_value(self, ctx: Negotiated) -> bytes:
        family = self.family
        if family in PREFIX_FAMILIES:
            body = encode_prefixes(self.withdrawn, family.afi, family in ctx.add_path)
        else:
            body = self.raw_withdrawn
        return _HEAD.pack(family.afi, family.safi, 0)[:3] + body

    def __str__(self) -> str:
        if self.is_end_of_rib:
            return f"{self.family} end-of-rib"
        count = len(self.withdrawn) if self.family in PREFIX_FAMILIES else len(self.raw_withdrawn)
        unit = "prefixes" if self.family in PREFIX_FAMILIES else "octets withdrawn"
        return f"{self.family}: {count} {unit}"


_SET_UNREACH = slot_setters(MPUnreachNLRI, "family", "withdrawn", "raw_withdrawn")
