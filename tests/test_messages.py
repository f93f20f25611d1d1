"""Whole messages: round trips for every type, registries complete, hostile bytes contained."""

from __future__ import annotations

import ast
import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bgpwire
from bgpwire.attributes import ATTRIBUTE_TYPES
from bgpwire.attributes.policy import MALFORMED_ACTION
from bgpwire.constants import AttrType, CapabilityCode, MessageType
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import LocalProtocolError, ProtocolError
from bgpwire.families import IPV4_UNICAST
from bgpwire.framer import Framer
from bgpwire.messages import MESSAGE_TYPES, Message, Update, decode, decode_stream
from bgpwire.messages.capabilities import CAPABILITY_TYPES
from tests.strategies.updates import messages, updates

CAPTURES = Path(__file__).parent / "vectors" / "captured"
PACKAGE = Path(bgpwire.__file__).parent
SLOW = settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])


def test_every_code_we_name_has_a_codec() -> None:
    assert set(MESSAGE_TYPES) == set(MessageType)
    assert set(ATTRIBUTE_TYPES) == {int(code) for code in AttrType}
    assert set(MALFORMED_ACTION) == set(ATTRIBUTE_TYPES)  # a 7606 rule for every attribute
    assert set(CAPABILITY_TYPES) == {int(code) for code in CapabilityCode}
    for code, cls in ATTRIBUTE_TYPES.items():
        assert code == cls.TYPE


@SLOW
@given(messages())
def test_decode_of_encode_is_identity(message: Message) -> None:
    data = message.encode(DEFAULT_CONTEXT)
    assert decode(data, DEFAULT_CONTEXT) == message
    assert decode(data, DEFAULT_CONTEXT).encode(DEFAULT_CONTEXT) == data


@SLOW
@given(updates(add_path=True))
def test_add_path_updates_round_trip(update: Update) -> None:
    ctx = Negotiated(add_path=frozenset({IPV4_UNICAST}))
    assert decode(update.encode(ctx), ctx) == update


def _captured_messages() -> list[bytes]:
    out: list[bytes] = []
    for path in sorted(CAPTURES.glob("*.bin")):
        out.extend(Framer().feed(path.read_bytes()))
    return out


CAPTURED = _captured_messages()
CONTEXTS = [
    DEFAULT_CONTEXT,
    Negotiated(four_octet_as=False),
    Negotiated(add_path=frozenset({IPV4_UNICAST})),
    Negotiated(extended_message=True, internal=False),
]


def _exercise(message: Message, ctx: Negotiated) -> None:
    """Touch every lazily built part, and re-encode: only our own errors may come out."""
    if isinstance(message, Update):
        for _family, _item in message.announced() + message.withdrawals():
            pass
    with contextlib.suppress(LocalProtocolError):
        message.encode(ctx)


@settings(max_examples=500)
@given(st.sampled_from(CAPTURED), st.data(), st.sampled_from(CONTEXTS))
def test_mutated_captures_decode_or_raise_protocol_error(
        original: bytes, data: st.DataObject, ctx: Negotiated) -> None:
    message = bytearray(original)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(19, len(message) - 1)) if len(message) > 19 else 18
        message[position] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):  # truncate, keeping the header's length consistent
        cut = data.draw(st.integers(19, len(message)))
        message = message[:cut]
        message[16:18] = cut.to_bytes(2, "big")
    try:
        decoded = decode(bytes(message), ctx)
    except ProtocolError:
        return
    _exercise(decoded, ctx)


@settings(max_examples=500)
@given(st.binary(max_size=300), st.sampled_from(CONTEXTS), st.sampled_from(list(MessageType)))
def test_arbitrary_bodies_decode_or_raise_protocol_error(
        body: bytes, ctx: Negotiated, message_type: MessageType) -> None:
    data = b"\xff" * 16 + (19 + len(body)).to_bytes(2, "big") + bytes((message_type,)) + body
    try:
        decoded = decode(data, ctx)
    except ProtocolError:
        return
    _exercise(decoded, ctx)


def test_decode_stream_reads_a_capture_and_rejects_leftovers() -> None:
    raw = (CAPTURES / "frr-ebgp-v4.bin").read_bytes()
    assert len(list(decode_stream(raw))) == len(Framer().feed(raw))
    with pytest.raises(ProtocolError):
        list(decode_stream(raw + raw[:5]))


def test_a_message_longer_or_shorter_than_its_header_says_is_bad_message_length() -> None:
    keepalive = b"\xff" * 16 + b"\x00\x13\x04"
    with pytest.raises(ProtocolError) as caught:
        decode(keepalive + b"\x00")
    assert (caught.value.code, caught.value.subcode) == (1, 2)


ASYNCIO_LAYER = {"aio", "speaker"}
"""The packages that run on asyncio: the session adapter and the speaker built on it."""


def test_only_the_asyncio_layer_may_do_io() -> None:
    """The codec, the state machine and the RIBs are sans-IO: no sockets, loops, clocks, threads."""
    forbidden = {"asyncio", "socket", "time", "threading", "selectors"}
    for path in PACKAGE.rglob("*.py"):
        inner = path.relative_to(PACKAGE).parts
        if inner[0] in ASYNCIO_LAYER or path.stem in ASYNCIO_LAYER:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            assert not forbidden & set(names), f"{path.relative_to(PACKAGE)} imports {names}"
