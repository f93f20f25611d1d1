"""Cutting a byte stream into messages, whatever the chunking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpwire.constants import MARKER
from bgpwire.errors import BadMessageLength, ConnectionNotSynchronized
from bgpwire.framer import Framer

KEEPALIVE = MARKER + b"\x00\x13\x04"


def message(body: bytes, type_code: int = 2) -> bytes:
    return MARKER + (19 + len(body)).to_bytes(2, "big") + bytes((type_code,)) + body


def test_whole_messages_come_out_in_order() -> None:
    stream = KEEPALIVE + message(b"\x00\x00\x00\x00") + KEEPALIVE
    framer = Framer()
    assert framer.feed(stream) == [KEEPALIVE, message(b"\x00\x00\x00\x00"), KEEPALIVE]
    assert framer.pending == 0


def test_a_partial_message_waits_for_the_rest() -> None:
    framer = Framer()
    assert framer.feed(KEEPALIVE[:10]) == []
    assert framer.pending == 10
    assert framer.feed(KEEPALIVE[10:] + KEEPALIVE[:1]) == [KEEPALIVE]
    assert framer.pending == 1


def test_bad_marker_is_connection_not_synchronized() -> None:
    framer = Framer()
    with pytest.raises(ConnectionNotSynchronized) as caught:
        framer.feed(b"\xfe" + KEEPALIVE[1:])
    assert (caught.value.code, caught.value.subcode) == (1, 1)
    with pytest.raises(ConnectionNotSynchronized):  # the framer stays broken
        framer.feed(KEEPALIVE)


@pytest.mark.parametrize("length", [0, 18, 4097, 65535])
def test_length_outside_limits_is_bad_message_length_with_the_length_as_data(length: int) -> None:
    framer = Framer()
    with pytest.raises(BadMessageLength) as caught:
        framer.feed(MARKER + length.to_bytes(2, "big") + b"\x02")
    assert caught.value.data == length.to_bytes(2, "big")
    assert (caught.value.code, caught.value.subcode) == (1, 2)


def test_extended_message_raises_the_limit() -> None:
    big = message(bytes(5000))
    with pytest.raises(BadMessageLength):
        Framer().feed(big)
    assert Framer(max_length=65535).feed(big) == [big]


@given(st.lists(st.binary(max_size=300), max_size=8), st.data())
def test_any_chunking_gives_the_same_messages(bodies: list[bytes], data: st.DataObject) -> None:
    messages = [message(body) for body in bodies]
    stream = b"".join(messages)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=20)))
    framer = Framer()
    out: list[bytes] = []
    previous = 0
    for cut in [*cuts, len(stream)]:
        out.extend(framer.feed(stream[previous:cut]))
        previous = cut
    assert out == messages
    assert framer.pending == 0


def test_one_byte_at_a_time() -> None:
    stream = message(bytes(4000)) + KEEPALIVE
    framer = Framer()
    out = [m for i in range(len(stream)) for m in framer.feed(stream[i:i + 1])]
    assert out == [message(bytes(4000)), KEEPALIVE]


@given(st.binary(max_size=200))
def test_arbitrary_bytes_frame_or_raise_a_header_error(data: bytes) -> None:
    framer = Framer()
    try:
        messages = framer.feed(data)
    except (ConnectionNotSynchronized, BadMessageLength):
        return
    assert b"".join(messages) + data[len(data) - framer.pending:] == data


def test_messages_before_a_bad_header_are_handed_over_then_the_error() -> None:
    framer = Framer()
    assert framer.feed(KEEPALIVE + b"\x00" * 19) == [KEEPALIVE]
    assert isinstance(framer.error, ConnectionNotSynchronized)
    with pytest.raises(ConnectionNotSynchronized):
        framer.feed(b"")
