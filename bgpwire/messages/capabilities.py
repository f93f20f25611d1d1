"""Capabilities carried in the OPEN message (RFC 5492).

Each capability is a ``<code, length, value>`` triple inside a Capabilities optional parameter.
The base class is in :mod:`bgpwire.messages.capability_base`, the two graceful restart
capabilities in :mod:`bgpwire.messages.restart_capabilities`; this module holds the others, the
registry :data:`CAPABILITY_TYPES` and the functions that read and write a whole parameter, and
re-exports every capability class.

Codes bgpwire does not know decode to :class:`UnknownCapability`, which re-encodes unchanged:
RFC 5492 §3 asks a speaker to ignore capabilities it does not understand, and a proxy or a capture
tool must still be able to pass them on.

Bits the RFCs mark as reserved are kept (``reserved...`` fields, zero by default) instead of being
dropped, so that a received capability re-encodes to the very bytes it came from while values built
in code still compare equal to decoded ones.

A malformed value of a known capability raises :class:`~bgpwire.errors.OpenMessageError` with the
Unspecific subcode: RFC 4271 §6.2 sends every error found in an OPEN as an OPEN Message Error, and
no capability RFC defines a more precise subcode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar, NamedTuple, Self

from bgpwire.constants import AFI, BGPRole, CapabilityCode
from bgpwire.errors import LocalProtocolError, OpenMessageError
from bgpwire.families import Family
from bgpwire.messages.capability_base import (
    MAX_CAPABILITY_VALUE,
    Capability,
    EmptyCapability,
    check_family,
    check_range,
    decode_text,
    encode_text,
    malformed,
    named,
    read_family,
)
from bgpwire.messages.restart_capabilities import (
    GracefulRestartCapability,
    GracefulRestartFamily,
    LongLivedGracefulRestartCapability,
    LongLivedGracefulRestartFamily,
)


@dataclass(frozen=True, slots=True)
class MultiprotocolCapability(Capability):
    """One address family the sender can exchange (RFC 4760 §8).

    The value is AFI (2 octets), a reserved octet and SAFI (1 octet). RFC 4760 tells the receiver
    to ignore the reserved octet; it is kept in ``reserved`` only to re-encode faithfully.
    """

    CODE: ClassVar[int] = CapabilityCode.MULTIPROTOCOL

    family: Family
    reserved: int = field(default=0, kw_only=True)

    def __post_init__(self) -> None:
        check_family(self.family)
        check_range("reserved octet", self.reserved, 0xFF)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) != 4:
            raise malformed("Multiprotocol", f"length {len(data)}, expected 4")
        family = Family.of(int.from_bytes(data[0:2], "big"), data[3])
        return cls(family, reserved=data[2])

    def encode_value(self) -> bytes:
        return self.family.afi.to_bytes(2, "big") + bytes((self.reserved, self.family.safi))


@dataclass(frozen=True, slots=True)
class RouteRefreshCapability(EmptyCapability):
    """The sender accepts ROUTE-REFRESH messages (RFC 2918 §3)."""

    CODE: ClassVar[int] = CapabilityCode.ROUTE_REFRESH


class ExtendedNextHopEntry(NamedTuple):
    """NLRI of ``family`` may carry a next hop of ``next_hop_afi`` (RFC 8950 §3).

    The SAFI of this capability is two octets wide, unlike elsewhere in OPEN.
    """

    family: Family
    next_hop_afi: int


@dataclass(frozen=True, slots=True)
class ExtendedNextHopCapability(Capability):
    """Next hops of another address family, typically IPv4 routes via IPv6 (RFC 8950 §3)."""

    CODE: ClassVar[int] = CapabilityCode.EXTENDED_NEXT_HOP

    entries: tuple[ExtendedNextHopEntry, ...]

    def __post_init__(self) -> None:
        for entry in self.entries:
            check_family(entry.family, safi_max=0xFFFF)
            check_range("next hop AFI", entry.next_hop_afi, 0xFFFF)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) % 6:
            raise malformed("Extended Next Hop", f"length {len(data)} is not a multiple of 6")
        entries = []
        for offset in range(0, len(data), 6):
            afi, safi, nh_afi = (
                int.from_bytes(data[i : i + 2], "big") for i in range(offset, offset + 6, 2)
            )
            entries.append(ExtendedNextHopEntry(Family.of(afi, safi), named(AFI, nh_afi)))
        return cls(tuple(entries))

    def encode_value(self) -> bytes:
        return b"".join(
            e.family.afi.to_bytes(2, "big")
            + e.family.safi.to_bytes(2, "big")
            + e.next_hop_afi.to_bytes(2, "big")
            for e in self.entries
        )


@dataclass(frozen=True, slots=True)
class ExtendedMessageCapability(EmptyCapability):
    """The sender accepts messages of up to 65535 octets (RFC 8654 §3)."""

    CODE: ClassVar[int] = CapabilityCode.EXTENDED_MESSAGE


@dataclass(frozen=True, slots=True)
class BGPRoleCapability(Capability):
    """The sender's role on this session (RFC 9234 §4.1).

    Unassigned role values decode to plain integers rather than failing: whether they matter is
    the session's call (RFC 9234 §4.2 answers an unknown pairing with Role Mismatch, but only when
    the local speaker has a role configured).
    """

    CODE: ClassVar[int] = CapabilityCode.BGP_ROLE

    role: BGPRole | int

    def __post_init__(self) -> None:
        check_range("role", self.role, 0xFF)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) != 1:
            raise malformed("BGP Role", f"length {len(data)}, expected 1")
        return cls(named(BGPRole, data[0]))

    def encode_value(self) -> bytes:
        return bytes((self.role,))


@dataclass(frozen=True, slots=True)
class FourOctetASCapability(Capability):
    """The sender's real AS number, which ``my_as`` of OPEN may not hold (RFC 6793 §3)."""

    CODE: ClassVar[int] = CapabilityCode.FOUR_OCTET_AS

    asn: int

    def __post_init__(self) -> None:
        check_range("AS number", self.asn, 0xFFFFFFFF)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) != 4:
            raise malformed("4-octet AS", f"length {len(data)}, expected 4")
        return cls(int.from_bytes(data, "big"))

    def encode_value(self) -> bytes:
        return self.asn.to_bytes(4, "big")


class AddPathMode(IntEnum):
    """The Send/Receive field of ADD-PATH (RFC 7911 §4)."""

    RECEIVE = 1
    SEND = 2
    BOTH = 3


class AddPathEntry(NamedTuple):
    """Whether the sender wants to receive and/or send several paths for ``family``."""

    family: Family
    mode: AddPathMode


@dataclass(frozen=True, slots=True)
class AddPathCapability(Capability):
    """ADD-PATH (RFC 7911 §4): path identifiers in the NLRI of the listed families.

    A Send/Receive value other than 1, 2 or 3 means nothing and is refused as malformed.
    """

    CODE: ClassVar[int] = CapabilityCode.ADD_PATH

    entries: tuple[AddPathEntry, ...]

    def __post_init__(self) -> None:
        for entry in self.entries:
            check_family(entry.family)
            if entry.mode not in AddPathMode._value2member_map_:
                raise LocalProtocolError(f"ADD-PATH mode {entry.mode} is not 1, 2 or 3")

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) % 4:
            raise malformed("ADD-PATH", f"length {len(data)} is not a multiple of 4")
        entries = []
        for offset in range(0, len(data), 4):
            mode = data[offset + 3]
            if mode not in AddPathMode._value2member_map_:
                raise malformed("ADD-PATH", f"Send/Receive value {mode}")
            entries.append(AddPathEntry(read_family(data, offset), AddPathMode(mode)))
        return cls(tuple(entries))

    def encode_value(self) -> bytes:
        return b"".join(
            e.family.afi.to_bytes(2, "big") + bytes((e.family.safi, e.mode)) for e in self.entries
        )


@dataclass(frozen=True, slots=True)
class EnhancedRouteRefreshCapability(EmptyCapability):
    """The sender marks the start and end of a refresh (RFC 7313 §3.1)."""

    CODE: ClassVar[int] = CapabilityCode.ENHANCED_ROUTE_REFRESH


@dataclass(frozen=True, slots=True)
class FQDNCapability(Capability):
    """Host and domain name of the sender (draft-walton-bgp-hostname-capability §3).

    Each name is a one-octet length followed by the text. Only for display: an undecodable name
    is kept as received (``surrogateescape``) rather than ending the session over it.
    """

    CODE: ClassVar[int] = CapabilityCode.FQDN

    hostname: str
    domain: str = ""

    def __post_init__(self) -> None:
        if len(self._hostname()) + len(self._domain()) + 2 > MAX_CAPABILITY_VALUE:
            raise LocalProtocolError("hostname and domain name together exceed 253 octets")

    def _hostname(self) -> bytes:
        return encode_text("hostname", self.hostname, 0xFF)

    def _domain(self) -> bytes:
        return encode_text("domain name", self.domain, 0xFF)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if not data or len(data) < 2 + data[0]:
            raise malformed("FQDN", "hostname overruns the value")
        end = 1 + data[0]
        domain_length = data[end]
        if len(data) != end + 1 + domain_length:
            raise malformed("FQDN", "domain name length disagrees with the value length")
        return cls(decode_text(data[1:end]), decode_text(data[end + 1 :]))

    def encode_value(self) -> bytes:
        hostname, domain = self._hostname(), self._domain()
        return bytes((len(hostname),)) + hostname + bytes((len(domain),)) + domain


@dataclass(frozen=True, slots=True)
class SoftwareVersionCapability(Capability):
    """Free-text software version (draft-abraitis-bgp-version-capability §3).

    A one-octet length, then UTF-8 text. Display only, so undecodable text is kept as received.
    """

    CODE: ClassVar[int] = CapabilityCode.SOFTWARE_VERSION

    version: str

    def __post_init__(self) -> None:
        encode_text("software version", self.version, MAX_CAPABILITY_VALUE - 1)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if not data or len(data) != 1 + data[0]:
            raise malformed("Software Version", "version length disagrees with the value length")
        return cls(decode_text(data[1:]))

    def encode_value(self) -> bytes:
        text = encode_text("software version", self.version, MAX_CAPABILITY_VALUE - 1)
        return bytes((len(text),)) + text


@dataclass(frozen=True, slots=True)
class UnknownCapability(Capability):
    """A capability bgpwire has no class for, kept as received (RFC 5492 §3).

    Building one with a code from :data:`CAPABILITY_TYPES` is allowed (to send something unusual),
    but such a triple decodes to the typed class.
    """

    code: int
    value: bytes

    def __post_init__(self) -> None:
        check_range("capability code", self.code, 0xFF)
        check_range("capability value length", len(self.value), MAX_CAPABILITY_VALUE)

    @property
    def type_code(self) -> int:
        return self.code

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        raise TypeError("UnknownCapability needs its code: use decode_capability()")

    def encode_value(self) -> bytes:
        return self.value


CAPABILITY_TYPES: dict[int, type[Capability]] = {
    CapabilityCode.MULTIPROTOCOL: MultiprotocolCapability,
    CapabilityCode.ROUTE_REFRESH: RouteRefreshCapability,
    CapabilityCode.EXTENDED_NEXT_HOP: ExtendedNextHopCapability,
    CapabilityCode.EXTENDED_MESSAGE: ExtendedMessageCapability,
    CapabilityCode.BGP_ROLE: BGPRoleCapability,
    CapabilityCode.GRACEFUL_RESTART: GracefulRestartCapability,
    CapabilityCode.FOUR_OCTET_AS: FourOctetASCapability,
    CapabilityCode.ADD_PATH: AddPathCapability,
    CapabilityCode.ENHANCED_ROUTE_REFRESH: EnhancedRouteRefreshCapability,
    CapabilityCode.LONG_LIVED_GRACEFUL_RESTART: LongLivedGracefulRestartCapability,
    CapabilityCode.FQDN: FQDNCapability,
    CapabilityCode.SOFTWARE_VERSION: SoftwareVersionCapability,
}
"""The class each known capability code decodes to."""


def decode_capability(code: int, value: bytes) -> Capability:
    """The capability for one received triple; unknown codes become :class:`UnknownCapability`."""
    cls = CAPABILITY_TYPES.get(code)
    if cls is None:
        return UnknownCapability(code, bytes(value))
    return cls.decode_value(bytes(value))


def decode_capabilities(data: bytes) -> tuple[Capability, ...]:
    """Every triple in the value of one Capabilities optional parameter, in order (RFC 5492 §4).

    A triple running past the end of the parameter is an OPEN Message Error.
    """
    capabilities: list[Capability] = []
    offset, end = 0, len(data)
    while offset < end:
        if end - offset < 2:
            raise OpenMessageError("capability header overruns its optional parameter")
        code, length = data[offset], data[offset + 1]
        offset += 2
        if offset + length > end:
            raise OpenMessageError(
                f"capability {code} of length {length} overruns its optional parameter"
            )
        capabilities.append(decode_capability(code, data[offset : offset + length]))
        offset += length
    return tuple(capabilities)


def encode_capabilities(capabilities: tuple[Capability, ...]) -> bytes:
    """The triples back to back, as the value of one Capabilities optional parameter."""
    return b"".join(capability.encode() for capability in capabilities)


__all__ = [
    "CAPABILITY_TYPES",
    "MAX_CAPABILITY_VALUE",
    "AddPathCapability",
    "AddPathEntry",
    "AddPathMode",
    "BGPRoleCapability",
    "Capability",
    "EnhancedRouteRefreshCapability",
    "ExtendedMessageCapability",
    "ExtendedNextHopCapability",
    "ExtendedNextHopEntry",
    "FQDNCapability",
    "FourOctetASCapability",
    "GracefulRestartCapability",
    "GracefulRestartFamily",
    "LongLivedGracefulRestartCapability",
    "LongLivedGracefulRestartFamily",
    "MultiprotocolCapability",
    "RouteRefreshCapability",
    "SoftwareVersionCapability",
    "UnknownCapability",
    "decode_capabilities",
    "decode_capability",
    "encode_capabilities",
]
