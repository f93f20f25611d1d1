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

    @property
    def error(self) -> ProtocolError | None:
        """The header error that broke the stream, once found.

        When a chunk holds whole messages and then a bad header, :meth:`feed` returns those
        messages (a NOTIFICATION among them deserves to be read) and keeps the error here; every
        later call raises it.
        """
        return self._error

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data``; return the messages it completed, oldest first."""
        if self._error is not None:
            raise self._error
        buffer = self._buffer
        buffer += data
        end = len(buffer)
        max_length = self.max_length
        if end < HEADER_LENGTH:
            return []
        first = (buffer[16] << 8) | buffer[17]
        if end < first <= max_length and buffer.startswith(MARKER):
            return []  # a sound header, and its message still incomplete: nothing to copy yet
        # Work on an immutable copy: each message is then one slice of it, where slicing the
        # bytearray and converting would copy every message twice.
        stream = bytes(buffer)
        messages: list[bytes] = []
        append = messages.append
        start = 0
        last_header = end - HEADER_LENGTH
        while start <= last_header:
            length = (stream[start + 16] << 8) | stream[start + 17]
            if (length < HEADER_LENGTH or length > max_length
                    or not stream.startswith(MARKER, start)):
                return self._break(stream, start, length, messages)
            stop = start + length
            if stop > end:
                break
            append(stream[start:stop])
            start = stop
        del buffer[:start]
        return messages

    def _break(self, stream: bytes, start: int, length: int, messages: list[bytes]) -> list[bytes]:
        """The header at ``start`` is bad: the stream is broken for good. Hand over the messages
        that came whole before it (a NOTIFICATION among them deserves to be read) and raise at
        the next call, or raise now if there are none."""
        if not stream.startswith(MARKER, start):
            self._error = ConnectionNotSynchronized("the marker is not all ones")
        else:
            self._error = BadMessageLength(
                f"message length {length} is outside {HEADER_LENGTH}..{self.max_length}",
                stream[start + 16:start + 18],
            )
        self._buffer.clear()
        if messages:
            return messages
        raise self._error
