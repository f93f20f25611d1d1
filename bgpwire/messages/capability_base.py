"""What every OPEN capability shares, and the small helpers the capability modules use.

A capability class states its code and supplies :meth:`Capability.decode_value` (the value field,
already cut to its declared length) and :meth:`Capability.encode_value`. Lengths are never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from bgpwire.errors import LocalProtocolError, OpenMessageError
from bgpwire.families import Family

MAX_CAPABILITY_VALUE = 255
"""The Capability Length field is one octet (RFC 5492 §4)."""


def malformed(name: str, reason: str) -> OpenMessageError:
    return OpenMessageError(f"malformed {name} capability: {reason}")


def check_range(what: str, value: int, maximum: int) -> None:
    if not 0 <= value <= maximum:
        raise LocalProtocolError(f"{what} {value} is outside 0..{maximum}")


def check_family(family: Family, safi_max: int = 0xFF) -> None:
    check_range("AFI", family.afi, 0xFFFF)
    check_range("SAFI", family.safi, safi_max)


def named(enum: type[IntEnum], value: int) -> int:
    """The enum member for ``value`` when it has one, else the plain integer."""
    return enum(value) if value in enum._value2member_map_ else value


def read_family(data: bytes, offset: int) -> Family:
    """An AFI (2 octets) followed directly by a one-octet SAFI."""
    return Family.of(int.from_bytes(data[offset : offset + 2], "big"), data[offset + 2])


def encode_text(what: str, text: str, limit: int) -> bytes:
    """UTF-8 bytes of ``text``; undecodable octets received earlier come back unchanged."""
    try:
        encoded = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(f"{what} cannot be encoded as UTF-8: {exc}") from None
    if len(encoded) > limit:
        raise LocalProtocolError(f"{what} of {len(encoded)} octets exceeds {limit}")
    return encoded


def decode_text(data: bytes) -> str:
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
class EmptyCapability(Capability):
    """A capability whose presence is the whole message; RFC-defined length 0."""

    @classmethod
    def decode_value(cls, data: bytes) -> Self:
        if data:
            raise malformed(cls.__name__, f"value of {len(data)} octets, expected none")
        return cls()

    def encode_value(self) -> bytes:
        return b""
