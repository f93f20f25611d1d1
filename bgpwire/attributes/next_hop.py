"""The NEXT_HOP attribute (RFC 4271 §4.3 c, §5.1.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bgpwire.attributes.base import WELL_KNOWN, AddressAttribute
from bgpwire.constants import AttrType

__all__ = ["NextHop"]


@dataclass(frozen=True, slots=True)
class NextHop(AddressAttribute):
    """The IPv4 address to forward to, for the IPv4 unicast NLRI of the UPDATE itself.

    Only the length is checked here (RFC 7606 §7.3). Whether the address is usable (not the
    receiver's own, not a multicast or martian address, RFC 4271 §6.3) depends on the session,
    and is left to the code that has one.
    """

    TYPE: ClassVar[int] = AttrType.NEXT_HOP
    CATEGORY: ClassVar[int] = WELL_KNOWN
    NAME: ClassVar[str] = "NEXT_HOP"
