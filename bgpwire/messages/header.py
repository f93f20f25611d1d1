"""The 19-octet message header (RFC 4271 §4.1) and its checks (RFC 4271 §6.1)."""

from __future__ import annotations

from bgpwire.constants import HEADER_LENGTH, MARKER, MAX_MESSAGE_LENGTH, MessageType
from bgpwire.errors import (
    BadMessageLength,
    BadMessageType,
    ConnectionNotSynchronized,
    LocalProtocolError,
)

MIN_LENGTH: dict[MessageType, int] = {
    MessageType.OPEN: 29,
    MessageType.UPDATE: 23,
    MessageType.NOTIFICATION: 21,
    MessageType.KEEPALIVE: 19,
    MessageType.ROUTE_REFRESH: 23,
}
"""The shortest legal message of each type, header included (RFC 4271 §4, RFC 2918 §3)."""

_NEVER_EXTENDED = frozenset({MessageType.OPEN, MessageType.KEEPALIVE})
"""RFC 8654 §3: these stay within 4096 octets even when Extended Message is negotiated."""

_BY_CODE = {int(t): (t, MIN_LENGTH[t], t in _NEVER_EXTENDED) for t in MessageType}


def check_header(data: bytes, max_length: int = MAX_MESSAGE_LENGTH) -> tuple[MessageType, int]:
    """Check the header at the start of ``data``; return the message type and its length.

    ``data`` must hold at least the header. Raises the Message Header Error of RFC 4271 §6.1,
    whose data field is the erroneous length or type.
    """
    if len(data) < HEADER_LENGTH:
        raise BadMessageLength(f"{len(data)} octets cannot hold a message header",
                               len(data).to_bytes(2, "big"))
    if not data.startswith(MARKER):
        raise ConnectionNotSynchronized("the marker is not all ones")
    length = (data[16] << 8) | data[17]
    type_code = data[18]
    known = _BY_CODE.get(type_code)
    if known is None:
        raise BadMessageType(f"unknown message type {type_code}", bytes((type_code,)))
    message_type, minimum, never_extended = known
    if never_extended and max_length > MAX_MESSAGE_LENGTH:
        max_length = MAX_MESSAGE_LENGTH
    if length < minimum or length > max_length:
        raise BadMessageLength(
            f"{message_type.name} of length {length} is outside {minimum}..{max_length}",
            data[16:18],
        )
    if message_type is MessageType.KEEPALIVE and length != HEADER_LENGTH:
        raise BadMessageLength(f"KEEPALIVE of length {length}", data[16:18])
    return message_type, length


def frame(message_type: MessageType, body: bytes, max_length: int = MAX_MESSAGE_LENGTH) -> bytes:
    """Prefix ``body`` with a header; refuses a message larger than the session allows."""
    length = HEADER_LENGTH + len(body)
    if length > max_length:
        raise LocalProtocolError(
            f"{message_type.name} of {length} octets exceeds the {max_length}-octet limit"
        )
    return MARKER + length.to_bytes(2, "big") + bytes((message_type,)) + body
