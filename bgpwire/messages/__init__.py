"""The five BGP messages and the one function that decodes any of them."""

from __future__ import annotations

from collections.abc import Iterator

from bgpwire.constants import HEADER_LENGTH, MARKER, MAX_MESSAGE_LENGTH, MessageType
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import BadMessageLength
from bgpwire.framer import Framer
from bgpwire.messages.header import MIN_LENGTH, check_header
from bgpwire.messages.keepalive import Keepalive
from bgpwire.messages.notification import Notification
from bgpwire.messages.open import Open
from bgpwire.messages.route_refresh import RouteRefresh
from bgpwire.messages.update import Update, decode_update, pack_announcements, pack_withdrawals
from bgpwire.messages.update_run import UpdateRun

_UPDATE = int(MessageType.UPDATE)
_MIN_UPDATE = MIN_LENGTH[MessageType.UPDATE]

Message = Open | Update | Notification | Keepalive | RouteRefresh

MESSAGE_TYPES: dict[MessageType, type[Message]] = {
    MessageType.OPEN: Open,
    MessageType.UPDATE: Update,
    MessageType.NOTIFICATION: Notification,
    MessageType.KEEPALIVE: Keepalive,
    MessageType.ROUTE_REFRESH: RouteRefresh,
}


def decode(data: bytes, ctx: Negotiated = DEFAULT_CONTEXT) -> Message:
    """Decode one whole message, header included.

    Raises a :class:`~bgpwire.errors.ProtocolError` carrying the NOTIFICATION RFC 4271 §6
    prescribes; RFC 7606 problems that leave the session up are reported on the UPDATE instead.
    """
    if type(data) is not bytes:
        data = bytes(data)
    length = len(data)
    # Most messages are UPDATEs whose header is in order: check just that, and decode the body
    # in place. Anything else takes the full header check below, which says what is wrong.
    if (_MIN_UPDATE <= length <= MAX_MESSAGE_LENGTH and data[18] == _UPDATE
            and length == (data[16] << 8) | data[17] and data.startswith(MARKER)):
        return decode_update(data, HEADER_LENGTH, ctx)
    message_type, length = check_header(data, ctx.max_message_length)
    if length != len(data):
        raise BadMessageLength(
            f"the header says {length} octets, {len(data)} were given", data[16:18])
    return MESSAGE_TYPES[message_type].decode_body(data[HEADER_LENGTH:], ctx)


def decode_stream(data: bytes, ctx: Negotiated = DEFAULT_CONTEXT) -> Iterator[Message]:
    """Decode back-to-back messages (a capture, a file); bytes left over are an error."""
    framer = Framer(ctx.max_message_length)
    for message in framer.feed(data):
        yield decode(message, ctx)
    if framer.pending:
        raise BadMessageLength(f"{framer.pending} octets at the end do not make a whole message")


__all__ = [
    "MESSAGE_TYPES",
    "Keepalive",
    "Message",
    "Notification",
    "Open",
    "RouteRefresh",
    "Update",
    "UpdateRun",
    "decode",
    "decode_stream",
    "pack_announcements",
    "pack_withdrawals",
]
