"""Graceful Restart (RFC 4724, RFC 8538) and Long-Lived Graceful Restart (RFC 9494) capabilities.

Both list, per address family, whether forwarding state was kept; the reserved flag bits are kept
as received so that the capability re-encodes to the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, NamedTuple, Self

from bgpwire.constants import CapabilityCode
from bgpwire.families import Family
from bgpwire.messages.capability_base import (
    Capability,
    check_family,
    check_range,
    malformed,
    read_family,
)

_GR_RESTART_STATE = 0x80
"""R bit of the Restart Flags (RFC 4724 §3): the sender has restarted."""
_GR_NOTIFICATION = 0x40
"""N bit of the Restart Flags (RFC 8538 §2): the sender supports graceful NOTIFICATION."""
_GR_RESERVED_SHIFT = 12
_GR_TIME_MASK = 0x0FFF
_AF_FORWARDING_STATE = 0x80
"""F bit of the per-family flags (RFC 4724 §3, RFC 9494 §2)."""
_AF_RESERVED_MASK = 0x7F


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
        check_range("restart time", self.restart_time, _GR_TIME_MASK)
        check_range("reserved restart flags", self.reserved_flags, 0x3)
        for entry in self.families:
            check_family(entry.family)
            check_range("reserved family flags", entry.reserved_flags, _AF_RESERVED_MASK)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) < 2 or (len(data) - 2) % 4:
            raise malformed("Graceful Restart", f"length {len(data)} is not 2 + 4n")
        head = int.from_bytes(data[0:2], "big")
        flags = data[0]
        families = tuple(
            GracefulRestartFamily(
                read_family(data, offset),
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
            check_family(entry.family)
            check_range("long-lived stale time", entry.stale_time, 0xFFFFFF)
            check_range("reserved family flags", entry.reserved_flags, _AF_RESERVED_MASK)

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if len(data) % 7:
            raise malformed("Long-Lived Graceful Restart", f"length {len(data)} is not 7n")
        return cls(
            tuple(
                LongLivedGracefulRestartFamily(
                    read_family(data, offset),
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
