"""Fuzz bgpwire.framer.Framer.

Invariants, for any input:

* feeding it yields whole messages or raises a ProtocolError, nothing else;
* every message starts with the marker, and its length field is its length, within 19..max;
* feeding it in one chunk and in chunks cut at positions derived from the input gives the same
  messages and the same error (the chunked run may hand out the messages before a bad header
  that the one-chunk run never returns, since that feed raised);
* the messages are the input's leading bytes, back to back; what is left over is no whole
  message;
* after an error, the framer stays broken.

Run: python fuzz/fuzz_framer.py [corpus dirs] [libFuzzer flags]  (see fuzz/README.md)
"""

from __future__ import annotations

import random
import sys
import zlib
from itertools import pairwise

import atheris

with atheris.instrument_imports():
    from bgpwire.constants import (
        HEADER_LENGTH,
        MARKER,
        MAX_EXTENDED_MESSAGE_LENGTH,
        MAX_MESSAGE_LENGTH,
    )
    from bgpwire.errors import ProtocolError
    from bgpwire.framer import Framer


def frame(chunks: list[bytes], max_length: int) -> tuple[list[bytes], ProtocolError | None, int]:
    """Messages, the error if any, and the bytes left pending."""
    framer = Framer(max_length)
    messages: list[bytes] = []
    for chunk in chunks:
        try:
            messages += framer.feed(chunk)
        except ProtocolError as error:
            try:
                framer.feed(b"")
            except ProtocolError as again:
                assert type(again) is type(error), (again, error)
            else:
                raise AssertionError("the framer accepted data after an error") from None
            return messages, error, framer.pending
    # Whole messages followed by a bad header: the messages came out, the error waits here.
    return messages, framer.error, framer.pending


def cuts(data: bytes) -> list[bytes]:
    """``data`` cut at up to 16 positions chosen from its own checksum (so a crash reproduces)."""
    if len(data) < 2:
        return [data]
    rng = random.Random(zlib.crc32(data))
    count = min(len(data) - 1, 1 + data[0] % 16)
    points = [0, *sorted(rng.sample(range(1, len(data)), count)), len(data)]
    return [data[a:b] for a, b in pairwise(points)]


def reference(data: bytes, max_length: int) -> tuple[list[bytes], bool]:
    """The messages at the start of ``data``, and whether a bad header follows them."""
    messages: list[bytes] = []
    start = 0
    while len(data) - start >= HEADER_LENGTH:
        length = (data[start + 16] << 8) | data[start + 17]
        if data[start:start + 16] != MARKER or not HEADER_LENGTH <= length <= max_length:
            return messages, True
        if len(data) - start < length:
            break
        messages.append(data[start:start + length])
        start += length
    return messages, False


def check(data: bytes, max_length: int) -> None:
    expected, broken = reference(data, max_length)
    whole, whole_error, _ = frame([data], max_length)
    split, split_error, pending = frame(cuts(data), max_length)
    assert type(whole_error) is type(split_error), (whole_error, split_error)
    assert (split_error is not None) == broken
    if split_error is None:
        # A clean stream: every whole message comes out, and only the tail is held back.
        assert whole == split == expected
        assert pending == len(data) - sum(map(len, expected))
    else:
        # Every message that came whole before the damage is handed over, in order.
        assert whole == split == expected and whole_error is not None
        assert whole_error.data == split_error.data
    if len(data) <= 256:  # one byte at a time, too: each message is handed out on its own
        single, single_error, _ = frame([data[i:i + 1] for i in range(len(data))], max_length)
        assert single == expected and type(single_error) is type(split_error)


def test_one_input(data: bytes) -> None:
    max_length = MAX_EXTENDED_MESSAGE_LENGTH if zlib.crc32(data) & 1 else MAX_MESSAGE_LENGTH
    check(data, max_length)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
