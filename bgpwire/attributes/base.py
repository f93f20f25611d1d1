"""What every path attribute shares: the flags/type/length header of RFC 4271 §4.3.

An attribute class states its type code and the Optional and Transitive bits the RFCs give it,
and supplies two functions: :meth:`PathAttribute.decode_value` reads the value field (already
cut to its declared length, so no decoder can read into the next attribute) and
:meth:`PathAttribute.encode_value` writes it. Lengths are never stored; they are computed.

``flags`` is ``None`` when the attribute carries the flags its RFC prescribes. It holds the
received octet only when that differs (a Partial bit set on the way, an Extended Length bit on a
short value, unused low bits set), so that re-encoding gives back the same bytes while
attributes built in code compare equal to decoded ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address
from typing import ClassVar, Self

from bgpwire.constants import AttrFlag
from bgpwire.context import Negotiated
from bgpwire.errors import AttributeLengthError, LocalProtocolError
from bgpwire.slots import slot_setters

OPTIONAL = AttrFlag.OPTIONAL
TRANSITIVE = AttrFlag.TRANSITIVE
PARTIAL = AttrFlag.PARTIAL
EXTENDED_LENGTH = AttrFlag.EXTENDED_LENGTH

WELL_KNOWN = TRANSITIVE
OPTIONAL_TRANSITIVE = OPTIONAL | TRANSITIVE
OPTIONAL_NON_TRANSITIVE = OPTIONAL


def canonical_flags(category: int, value_length: int) -> int:
    """The flags octet an attribute of ``category`` with this value length is sent with."""
    return category | EXTENDED_LENGTH if value_length > 255 else category


def encode_attribute(flags: int, type_code: int, value: bytes) -> bytes:
    """Header plus value; the Extended Length bit is forced on when the value needs it."""
    length = len(value)
    if length > 255 or flags & EXTENDED_LENGTH:
        return bytes((flags | EXTENDED_LENGTH, type_code)) + length.to_bytes(2, "big") + value
    return bytes((flags, type_code, length)) + value


@dataclass(frozen=True, slots=True)
class PathAttribute:
    """Base of every path attribute value."""

    TYPE: ClassVar[int]
    CATEGORY: ClassVar[int]
    """The Optional and Transitive bits this attribute must carry."""

    flags: int | None = field(default=None, kw_only=True)

    @property
    def type_code(self) -> int:
        return self.TYPE

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        """Build the attribute from its value field; raise ``UpdateMessageError`` if malformed.

        Always a new object: the UPDATE decoder records unusual flags on it before anyone else
        sees it (see :func:`set_received_flags`).
        """
        raise NotImplementedError

    def encode_value(self, ctx: Negotiated) -> bytes:
        """The value field."""
        raise NotImplementedError

    def encode(self, ctx: Negotiated) -> bytes:
        """The whole attribute: flags, type, length, value."""
        value = self.encode_value(ctx)
        flags = self.flags
        if flags is None:
            flags = self.CATEGORY
        return encode_attribute(flags, self.TYPE, value)

    def with_flags(self, flags: int | None) -> Self:
        """A copy carrying ``flags`` as received (``None``: the prescribed ones)."""
        return replace(self, flags=flags)


@dataclass(frozen=True, slots=True)
class AddressAttribute(PathAttribute):
    """An attribute whose value is one IPv4 address (NEXT_HOP, ORIGINATOR_ID)."""

    address: IPv4Address

    NAME: ClassVar[str]

    def __post_init__(self) -> None:
        if not isinstance(self.address, IPv4Address):
            raise LocalProtocolError(f"{self.NAME} {self.address!r} is not an IPv4Address")

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        if len(data) != 4:
            raise AttributeLengthError(f"{cls.NAME} of {len(data)} octets, expected 4", data)
        return cls(IPv4Address(data))

    def encode_value(self, ctx: Negotiated) -> bytes:
        return self.address.packed

    def __str__(self) -> str:
        return str(self.address)


(_set_flags,) = slot_setters(PathAttribute, "flags").values()


def set_received_flags(fresh: PathAttribute, flags: int) -> None:
    """Record the flags an attribute arrived with on the object :meth:`decode_value` just made.

    Only for that moment, while no one else holds the object: it is the one write to a frozen
    value bgpwire allows itself, and it saves building a second copy of every MP_REACH_NLRI from
    the many speakers that set Extended Length on it.
    """
    _set_flags(fresh, flags)


@dataclass(frozen=True, slots=True)
class UnknownAttribute(PathAttribute):
    """An attribute bgpwire has no codec for, kept as its type code, flags and value bytes.

    RFC 4271 §9 says an optional transitive attribute we do not recognise is passed on with the
    Partial bit set: :meth:`passed_on` gives that copy.
    """

    code: int = 0
    value: bytes = b""

    CATEGORY: ClassVar[int] = OPTIONAL_TRANSITIVE

    @property
    def type_code(self) -> int:
        return self.code

    def encode_value(self, ctx: Negotiated) -> bytes:
        return self.value

    def encode(self, ctx: Negotiated) -> bytes:
        flags = self.CATEGORY if self.flags is None else self.flags
        return encode_attribute(flags, self.code, self.value)

    @property
    def is_transitive(self) -> bool:
        flags = self.CATEGORY if self.flags is None else self.flags
        return bool(flags & TRANSITIVE)

    def passed_on(self) -> UnknownAttribute:
        """The copy to send onward: the Partial bit set (RFC 4271 §5)."""
        flags = self.CATEGORY if self.flags is None else self.flags
        return replace(self, flags=flags | PARTIAL)
