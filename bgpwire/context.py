"""What the two OPEN messages of a session decided about the wire format.

The same bytes mean different things on different sessions: an AS number is two or four octets,
a prefix may be preceded by a path identifier, and a message may be up to 4096 or 65535 octets.
Every decode and encode therefore takes a :class:`Negotiated`, the way a session would hand it
over after the OPEN exchange.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bgpwire.constants import MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH
from bgpwire.families import IPV4_UNICAST, Family

if TYPE_CHECKING:
    from bgpwire.messages.update_shapes import Shapes


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The codec context for one direction of one session.

    ``add_path`` lists the families whose NLRI carry a path identifier *in the messages this
    context is used for*. A session therefore holds two contexts: the one it decodes received
    UPDATEs with (families where it negotiated to receive paths) and the one it encodes with
    (families where it negotiated to send them).

    ``internal`` says whether the peer is in our AS: RFC 7606 discards a LOCAL_PREF received
    over eBGP. ``None`` means not known (decoding a capture), and no such rule is applied.
    """

    four_octet_as: bool = True
    extended_message: bool = False
    add_path: frozenset[Family] = field(default_factory=frozenset)
    internal: bool | None = None
    attribute_memo: dict[bytes, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)
    """Attributes already decoded in this context, by their wire bytes; see ``messages.update``.

    Not part of the value: two equal contexts compare and hash equal whatever they remember.
    """
    ipv4_add_path: bool = field(init=False, repr=False, compare=False, hash=False)
    """Whether IPv4 unicast prefixes carry path identifiers: read for every UPDATE decoded."""
    shapes: Shapes | None = field(init=False, repr=False, compare=False, hash=False)
    """The attribute-list patterns for this context (see ``messages.update_shapes``), set by
    the decoder the first time it needs them, so that it looks them up once per session
    rather than once per UPDATE."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ipv4_add_path", IPV4_UNICAST in self.add_path)
        object.__setattr__(self, "shapes", None)

    @property
    def max_message_length(self) -> int:
        """The largest message that may be sent or received (RFC 8654)."""
        return MAX_EXTENDED_MESSAGE_LENGTH if self.extended_message else MAX_MESSAGE_LENGTH


DEFAULT_CONTEXT = Negotiated()
"""4-octet AS numbers, no ADD-PATH, 4096-octet messages: what modern speakers negotiate."""
