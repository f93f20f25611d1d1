"""The KEEPALIVE message (RFC 4271 §4.4): a header and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from bgpwire.constants import HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import BadMessageLength
from bgpwire.messages.header import frame


@dataclass(frozen=True, slots=True)
class Keepalive:
    """A KEEPALIVE. All instances are equal, as all KEEPALIVEs are."""

    TYPE: ClassVar[MessageType] = MessageType.KEEPALIVE

    @classmethod
    def decode_body(cls, body: bytes, ctx: Negotiated = DEFAULT_CONTEXT) -> Self:
        """Accept only an empty body: RFC 4271 §6.1 answers any other length with Bad Message
        Length, whose data is the erroneous length field."""
        if body:
            raise BadMessageLength(
                f"KEEPALIVE with a body of {len(body)} octets",
                (HEADER_LENGTH + len(body)).to_bytes(2, "big"),
            )
        return cls()

    def encode(self, ctx: Negotiated = DEFAULT_CONTEXT) -> bytes:
        """The 19-octet message; RFC 8654 §3 never lets a KEEPALIVE grow."""
        return frame(self.TYPE, b"", MAX_MESSAGE_LENGTH)
