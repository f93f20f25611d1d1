"""The NEXT_HOP attribute (RFC 4271 §4.3 c, §5.1.3)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import ClassVar, Self

from bgpwire.attributes.base import WELL_KNOWN, PathAttribute
from bgpwire.constants import AttrType
from bgpwire.context import Negotiated
from bgpwire.errors import AttributeLengthError, LocalProtocolError

__all__ = ["NextHop"]


@dataclass(frozen=True, slots=True)
class NextHop(PathAttribute):
    """The IPv4 address to forward to, for the IPv4 unicast NLRI of the UPDATE itself.

    Only the length is checked here (RFC 7606 §7.3). Whether the address is usable (not the
    receiver's own, not a multicast or martian address, RFC 4271 §6.3) depends on the session,
    and is left to the code that has one.
    """

    address: IPv4Address

    TYPE: ClassVar[int] = AttrType.NEXT_HOP
    CATEGORY: ClassVar[int] = WELL_KNOWN

    def __post_init__(self) -> None:
        if not isinstance(self.address, IPv4Address):
            raise LocalProtocolError(f"NEXT_HOP {self.address!r} is not an IPv4Address")

    @classmethod
    def decode_value(cls, data: bytes, ctx: Negotiated) -> Self:
        if len(data) != 4:
            raise AttributeLengthError(f"NEXT_HOP of {len(data)} octets, expected 4", data)
        return cls(IPv4Address(data))

    def encode_value(self, ctx: Negotiated) -> bytes:
        return self.address.packed

    def __str__(self) -> str:
        return str(self.address)
