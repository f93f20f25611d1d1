"""Cutting a TCP byte stream into whole BGP messages."""

from __future__ import annotations

from bgpwire.constants import HEADER_LENGTH, MARKER, MAX_MESSAGE_LENGTH
from bgpwire.errors import BadMessageLength, ConnectionNotSynchronized, ProtocolError


class Framer:
    """Takes TCP data in chunks of any size and returns complete messages, header included.

    Only what framing needs is checked here: the marker and that the length lies between 19 and
    ``max_length``. Anything else about the header is :func:`bgpwire.decode`'s job. At most one
    message's worth of bytes is ever held back, so memory stays bounded whatever the peer sends.
    After an error the framer stays broken: the stream can no longer be trusted.

    Raise ``max_length`` to 65535 once Extended Message is negotiated (RFC 8654).
    """

    __slots__ = ("_buffer", "_error", "max_length")

    def __init__(self, max_length: int = MAX_MESSAGE_LENGTH) -> None:
        self.max_length = max_length
        self._buffer = bytearray()
        self._error: ProtocolError | None = None

    @property
    def pending(self) -> int:
        """Bytes received that do not yet make a whole message."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data``; return the messages it completed, oldest first."""
        if self._error is not None:
            raise self._error
        buffer = self._buffer
        buffer += data
        messages: list[bytes] = []
        append = messages.append
        end = len(buffer)
        start = 0
        max_length = self.max_length
        while end - start >= HEADER_LENGTH:
            length = (buffer[start + 16] << 8) | buffer[start + 17]
            if buffer[start:start + 16] != MARKER:
                self._error = ConnectionNotSynchronized("the marker is not all ones")
            elif length < HEADER_LENGTH or length > max_length:
                self._error = BadMessageLength(
                    f"message length {length} is outside {HEADER_LENGTH}..{max_length}",
                    bytes(buffer[start + 16:start + 18]),
                )
            if self._error is not None:
                buffer.clear()
                raise self._error
            if end - start < length:
                break
            append(bytes(buffer[start:start + length]))
            start += length
        del buffer[:start]
        return messages
