"""Capabilities carried in the OPEN message (RFC 5492).

Each capability is a ``<code, length, value>`` triple inside a Capabilities optional parameter.
A class here states its code and supplies :meth:`Capability.decode_value` (the value field, already
cut to its declared length) and :meth:`Capability.encode_value`. Lengths are never stored.

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

MAX_CAPABILITY_VALUE = 255
"""The Capability Length field is one octet (RFC 5492 §4)."""

_GR_RESTART_STATE = 0x80
"""R bit of the Restart Flags (RFC 4724 §3): the sender has restarted."""
_GR_NOTIFICATION = 0x40
"""N bit of the Restart Flags (RFC 8538 §2): the sender supports graceful NOTIFICATION."""
_GR_RESERVED_SHIFT = 12
_GR_TIME_MASK = 0x0FFF
_AF_FORWARDING_STATE = 0x80
"""F bit of the per-family flags (RFC 4724 §3, RFC 9494 §2)."""
_AF_RESERVED_MASK = 0x7F


def _malformed(name: str, reason: str) -> OpenMessageError:
    return OpenMessageError(f"malformed {name} capability: {reason}")


def _check_range(what: str, value: int, maximum: int) -> None:
    if not 0 <= value <= maximum:
        raise LocalProtocolError(f"{what} {value} is outside 0..{maximum}")


def _check_family(family: Family, safi_max: int = 0xFF) -> None:
    _check_range("AFI", family.afi, 0xFFFF)
    _check_range("SAFI", family.safi, safi_max)


def _named(enum: type[IntEnum], value: int) -> int:
    """The enum member for ``value`` when it has one, else the plain integer."""
    return enum(value) if value in enum._value2member_map_ else value


def _family(data: bytes, offset: int) -> Family:
    """An AFI (2 octets) followed directly by a one-octet SAFI."""
    return Family.of(int.from_bytes(data[offset : offset + 2], "big"), data[offset + 2])


def _encode_text(what: str, text: str, limit: int) -> bytes:
    """UTF-8 bytes of ``text``; undecodable octets received earlier come back unchanged."""
    try:
        encoded = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"{what} cannot be encoded as UTF-8: {exc}") from None
    if len(encoded) > limit:
        raise LocalProtocolError(f"{what} of {len(encoded)} octets exceeds {limit}")
    return encoded


def _decode_text(data: bytes) -> str:
    """Text as received. Invalid UTF-8 is kept through ``surrogateescape`` so it re-encodes."""
    return data.decode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True)
class Capability:
    """Base of every capability value."""

    CODE: ClassVar[int]

    @property
    def type_code(self) -> int:
        """The Capability Code octet."""
        return self.CODE

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        """Build the capability from its value field; raise ``OpenMessageError`` if malformed."""
        raise NotImplementedError

    def encode_value(self) -> bytes:
        """The value field."""
        raise NotImplementedError

    def encode(self) -> bytes:
        """The whole triple: code, length, value."""
        value = self.encode_value()
        if len(value) > MAX_CAPABILITY_VALUE:
            raise LocalProtocolError(
                f"capability {self.type_code} value of {len(value)} octets exceeds 255"
            )
        return bytes((self.type_code, len(value))) + value


@dataclass(frozen=True, slots=True)
class _EmptyCapability(Capability):
    """A capability whose presence is the whole message; RFC-defined length 0."""

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if data:
            raise _malformed(cls.__name__, f"value of {len(data)} octets, expected none")
        return cls()

    def encode_value(self) -> bytes:
        return b""


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
        _check_family(self.family)
        _check_range("reserved octet", self.reserved, 0xFF)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) != 4:
            raise _malformed("Multiprotocol", f"length {len(data)}, expected 4")
        family = Family.of(int.from_bytes(data[0:2], "big"), data[3])
        return cls(family, reserved=data[2])

    def encode_value(self) -> bytes:
        return self.family.afi.to_bytes(2, "big") + bytes((self.reserved, self.family.safi))


@dataclass(frozen=True, slots=True)
class RouteRefreshCapability(_EmptyCapability):
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
            _check_family(entry.family, safi_max=0xFFFF)
            _check_range("next hop AFI", entry.next_hop_afi, 0xFFFF)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) % 6:
            raise _malformed("Extended Next Hop", f"length {len(data)} is not a multiple of 6")
        entries = []
        for offset in range(0, len(data), 6):
            afi, safi, nh_afi = (
                int.from_bytes(data[i : i + 2], "big") for i in range(offset, offset + 6, 2)
            )
            entries.append(ExtendedNextHopEntry(Family.of(afi, safi), _named(AFI, nh_afi)))
        return cls(tuple(entries))

    def encode_value(self) -> bytes:
        return b"".join(
            e.family.afi.to_bytes(2, "big")
            + e.family.safi.to_bytes(2, "big")
            + e.next_hop_afi.to_bytes(2, "big")
            for e in self.entries
        )


@dataclass(frozen=True, slots=True)
class ExtendedMessageCapability(_EmptyCapability):
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
        _check_range("role", self.role, 0xFF)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) != 1:
            raise _malformed("BGP Role", f"length {len(data)}, expected 1")
        return cls(_named(BGPRole, data[0]))

    def encode_value(self) -> bytes:
        return bytes((self.role,))


class GracefulRestartFamily(NamedTuple):
    """One family the sender preserves forwarding for across a restart (RFC 4724 §3)."""

    family: Family
    forwarding_state: bool
    reserved_flags: int = 0
    """The seven low bits of the per-family flags, reserved by RFC 4724."""


@dataclass(frozen=True, slots=True)
class GracefulRestartCapability(Capability):
    """Graceful Restart (RFC 4724 §3, N bit from RFC 8538 §2).

    ``restart_state`` is the R bit (the sender has just restarted), ``notification`` the N bit
    (a NOTIFICATION other than Hard Reset keeps the routes), ``restart_time`` the 12-bit number
    of seconds the peer should wait for the session to come back. ``reserved_flags`` holds the
    two remaining bits of the Restart Flags nibble.
    """

    CODE: ClassVar[int] = CapabilityCode.GRACEFUL_RESTART

    restart_state: bool
    notification: bool
    restart_time: int
    families: tuple[GracefulRestartFamily, ...] = ()
    reserved_flags: int = field(default=0, kw_only=True)

    def __post_init__(self) -> None:
        _check_range("restart time", self.restart_time, _GR_TIME_MASK)
        _check_range("reserved restart flags", self.reserved_flags, 0x3)
        for entry in self.families:
            _check_family(entry.family)
            _check_range("reserved family flags", entry.reserved_flags, _AF_RESERVED_MASK)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) < 2 or (len(data) - 2) % 4:
            raise _malformed("Graceful Restart", f"length {len(data)} is not 2 + 4n")
        head = int.from_bytes(data[0:2], "big")
        flags = data[0]
        families = tuple(
            GracefulRestartFamily(
                _family(data, offset),
                bool(data[offset + 3] & _AF_FORWARDING_STATE),
                data[offset + 3] & _AF_RESERVED_MASK,
            )
            for offset in range(2, len(data), 4)
        )
        return cls(
            restart_state=bool(flags & _GR_RESTART_STATE),
            notification=bool(flags & _GR_NOTIFICATION),
            restart_time=head & _GR_TIME_MASK,
            families=families,
            reserved_flags=(head >> _GR_RESERVED_SHIFT) & 0x3,
        )

    def encode_value(self) -> bytes:
        head = (self.reserved_flags << _GR_RESERVED_SHIFT) | self.restart_time
        if self.restart_state:
            head |= _GR_RESTART_STATE << 8
        if self.notification:
            head |= _GR_NOTIFICATION << 8
        out = bytearray(head.to_bytes(2, "big"))
        for entry in self.families:
            flags = entry.reserved_flags | (_AF_FORWARDING_STATE if entry.forwarding_state else 0)
            out += entry.family.afi.to_bytes(2, "big") + bytes((entry.family.safi, flags))
        return bytes(out)


@dataclass(frozen=True, slots=True)
class FourOctetASCapability(Capability):
    """The sender's real AS number, which ``my_as`` of OPEN may not hold (RFC 6793 §3)."""

    CODE: ClassVar[int] = CapabilityCode.FOUR_OCTET_AS

    asn: int

    def __post_init__(self) -> None:
        _check_range("AS number", self.asn, 0xFFFFFFFF)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) != 4:
            raise _malformed("4-octet AS", f"length {len(data)}, expected 4")
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
            _check_family(entry.family)
            if entry.mode not in AddPathMode._value2member_map_:
                raise LocalProtocolError(f"ADD-PATH mode {entry.mode} is not 1, 2 or 3")

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) % 4:
            raise _malformed("ADD-PATH", f"length {len(data)} is not a multiple of 4")
        entries = []
        for offset in range(0, len(data), 4):
            mode = data[offset + 3]
            if mode not in AddPathMode._value2member_map_:
                raise _malformed("ADD-PATH", f"Send/Receive value {mode}")
            entries.append(AddPathEntry(_family(data, offset), AddPathMode(mode)))
        return cls(tuple(entries))

    def encode_value(self) -> bytes:
        return b"".join(
            e.family.afi.to_bytes(2, "big") + bytes((e.family.safi, e.mode)) for e in self.entries
        )


@dataclass(frozen=True, slots=True)
class EnhancedRouteRefreshCapability(_EmptyCapability):
    """The sender marks the start and end of a refresh (RFC 7313 §3.1)."""

    CODE: ClassVar[int] = CapabilityCode.ENHANCED_ROUTE_REFRESH


class LongLivedGracefulRestartFamily(NamedTuple):
    """One family kept as stale for ``stale_time`` seconds (24 bits) after a loss (RFC 9494 §2)."""

    family: Family
    forwarding_state: bool
    stale_time: int
    reserved_flags: int = 0
    """The seven low bits of the per-family flags, reserved by RFC 9494."""


@dataclass(frozen=True, slots=True)
class LongLivedGracefulRestartCapability(Capability):
    """Long-Lived Graceful Restart (RFC 9494 §2): seven octets per family."""

    CODE: ClassVar[int] = CapabilityCode.LONG_LIVED_GRACEFUL_RESTART

    entries: tuple[LongLivedGracefulRestartFamily, ...]

    def __post_init__(self) -> None:
        for entry in self.entries:
            _check_family(entry.family)
            _check_range("long-lived stale time", entry.stale_time, 0xFFFFFF)
            _check_range("reserved family flags", entry.reserved_flags, _AF_RESERVED_MASK)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) % 7:
            raise _malformed("Long-Lived Graceful Restart", f"length {len(data)} is not 7n")
        return cls(
            tuple(
                LongLivedGracefulRestartFamily(
                    _family(data, offset),
                    bool(data[offset + 3] & _AF_FORWARDING_STATE),
                    int.from_bytes(data[offset + 4 : offset + 7], "big"),
                    data[offset + 3] & _AF_RESERVED_MASK,
                )
                for offset in range(0, len(data), 7)
            )
        )

    def encode_value(self) -> bytes:
        out = bytearray()
        for e in self.entries:
            flags = e.reserved_flags | (_AF_FORWARDING_STATE if e.forwarding_state else 0)
            out += e.family.afi.to_bytes(2, "big") + bytes((e.family.safi, flags))
            out += e.stale_time.to_bytes(3, "big")
        return bytes(out)


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
        return _encode_text("hostname", self.hostname, 0xFF)

    def _domain(self) -> bytes:
        return _encode_text("domain name", self.domain, 0xFF)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if not data or len(data) < 2 + data[0]:
            raise _malformed("FQDN", "hostname overruns the value")
        end = 1 + data[0]
        domain_length = data[end]
        if len(data) != end + 1 + domain_length:
            raise _malformed("FQDN", "domain name length disagrees with the value length")
        return cls(_decode_text(data[1:end]), _decode_text(data[end + 1 :]))

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
        _encode_text("software version", self.version, MAX_CAPABILITY_VALUE - 1)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if not data or len(data) != 1 + data[0]:
            raise _malformed("Software Version", "version length disagrees with the value length")
        return cls(_decode_text(data[1:]))

    def encode_value(self) -> bytes:
        text = _encode_text("software version", self.version, MAX_CAPABILITY_VALUE - 1)
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
        _check_range("capability code", self.code, 0xFF)
        _check_range("capability value length", len(self.value), MAX_CAPABILITY_VALUE)

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
