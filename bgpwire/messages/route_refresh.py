"""The ROUTE-REFRESH message (RFC 2918 §3) and its subtypes (RFC 7313 §3.2).

The body is AFI (2 octets), a subtype octet (reserved in RFC 2918, the message subtype since
RFC 7313) and SAFI (1 octet).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from bgpwire.constants import (
    HEADER_LENGTH,
    MARKER,
    MessageType,
    RouteRefreshSubtype,
)
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import LocalProtocolError, RouteRefreshMessageError
from bgpwire.families import Family
from bgpwire.messages.header import frame

_BODY_LENGTH = 4


@dataclass(frozen=True, slots=True)
class RouteRefresh:
    """A request to resend ``family``, or the start or end of such a resend (RFC 7313).

    A subtype no RFC defines is kept as an integer: RFC 7313 §5 tells the receiver to ignore such a
    message, which is the session's decision, not the decoder's.
    """

    TYPE: ClassVar[MessageType] = MessageType.ROUTE_REFRESH

    family: Family
    subtype: RouteRefreshSubtype | int = RouteRefreshSubtype.NORMAL

    def __post_init__(self) -> None:
        for what, value, maximum in (
            ("AFI", self.family.afi, 0xFFFF),
            ("SAFI", self.family.safi, 0xFF),
            ("subtype", self.subtype, 0xFF),
        ):
            if not 0 <= value <= maximum:
                raise LocalProtocolError(f"ROUTE-REFRESH {what} {value} is outside 0..{maximum}")

    @property
    def is_known_subtype(self) -> bool:
        """False for a subtype that RFC 7313 §5 says to ignore."""
        return isinstance(self.subtype, RouteRefreshSubtype)

    @classmethod
    def decode_body(cls, body: bytes, ctx: Negotiated = DEFAULT_CONTEXT) -> Self:
        """Decode the four-octet body.

        Any other length is a ROUTE-REFRESH Message Error / Invalid Message Length whose data is
        the complete message, header included (RFC 7313 §5). The header has been checked, so it
        is rebuilt exactly from the body.
        """
        body = bytes(body)
        if len(body) != _BODY_LENGTH:
            length = HEADER_LENGTH + len(body)
            whole = MARKER + length.to_bytes(2, "big") + bytes((cls.TYPE,)) + body
            raise RouteRefreshMessageError(f"ROUTE-REFRESH of length {length}, expected 23", whole)
        subtype = body[2]
        known = subtype in RouteRefreshSubtype._value2member_map_
        return cls(
            Family.of(int.from_bytes(body[0:2], "big"), body[3]),
            RouteRefreshSubtype(subtype) if known else subtype,
        )

    def encode(self, ctx: Negotiated = DEFAULT_CONTEXT) -> bytes:
        """The whole 23-octet message."""
        body = self.family.afi.to_bytes(2, "big") + bytes((self.subtype, self.family.safi))
        return frame(self.TYPE, body, ctx.max_message_length)
