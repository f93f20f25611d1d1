"""Runs of table UPDATEs checked on their bytes (bgpwire.messages.update_run).

:func:`take_table_updates` must take exactly the messages that :func:`bgpwire.decode` makes a
clean IPv4 table UPDATE of (nothing withdrawn, prefixes in the classic field, a recognised
attribute list, no problem), and an :class:`UpdateRun` must give back, item by item, what the
decoder gives.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bgpwire.attributes import ASPath, ASPathSegment, Communities, MultiExitDisc, NextHop
from bgpwire.constants import ASPathSegmentType
from bgpwire.context import Negotiated
from bgpwire.errors import LocalProtocolError, ProtocolError
from bgpwire.families import IPV4_UNICAST
from bgpwire.messages import Keepalive, Update, decode
from bgpwire.messages.update import received_field, recognised_path
from bgpwire.messages.update_run import UpdateRun, take_table_updates
from bgpwire.prefixes import PathPrefix
from tests.strategies.attributes import prefixes
from tests.strategies.updates import updates
from tests.test_rib_in import PEER_AS, announce4, announce6, base

CTX4 = Negotiated(four_octet_as=True)
CONTEXTS = [
    CTX4,
    Negotiated(four_octet_as=False),
    Negotiated(four_octet_as=True, internal=True),
    Negotiated(four_octet_as=True, add_path=frozenset({IPV4_UNICAST})),
]


def take(messages: list[bytes], ctx: Negotiated = CTX4, start: int = 0
         ) -> tuple[int, UpdateRun]:
    into: tuple[list[bytes], list[bytes], list[int]] = ([], [], [])
    taken = take_table_updates(messages, start, ctx, into)
    return taken, UpdateRun(ctx, *into)


def is_table_update(message: bytes, ctx: Negotiated) -> bool:
    """What the run takes, said with the decoder's own answers."""
    try:
        update = decode(message, ctx)
    except ProtocolError:
        return False
    return (isinstance(update, Update) and not update.problems and not update.withdrawn
            and bool(update.nlri) and update.mp_reach is None
            and recognised_path(update) is not None and not ctx.ipv4_add_path)


def table_update(number: int, count: int = 3, *path: int) -> bytes:
    nets = [IPv4Network(f"10.{number}.{i}.0/24") for i in range(count)]
    return announce4(*nets, attributes=base(*(path or (PEER_AS, number)))).encode(CTX4)


def test_a_run_gives_back_what_the_decoder_gives() -> None:
    messages = [table_update(number, number % 4 + 1) for number in range(6)]
    taken, run = take(messages)
    assert taken == 6 and len(run) == 6
    assert run.prefix_count == sum(number % 4 + 1 for number in range(6))
    decoded = [decode(message, CTX4) for message in messages]
    assert list(run) == decoded
    assert [run[i] for i in range(6)] == decoded
    assert run == decoded and run == run[:]
    for update in run:  # attributes still pending, as decoded: a table reads the bytes
        assert received_field(update) is not None and recognised_path(update) is not None
    assert run[2:4] == decoded[2:4] and isinstance(run[2:4], UpdateRun)
    assert run.context is CTX4
    assert repr(run) == f"UpdateRun(6 UPDATEs, {run.prefix_count} prefixes)"


def test_a_run_starts_where_asked_and_adds_to_the_lists() -> None:
    messages = [Keepalive().encode(), table_update(1), table_update(2)]
    into: tuple[list[bytes], list[bytes], list[int]] = ([b"a"], [b"n"], [7])
    assert take_table_updates(messages, 1, CTX4, into) == 3
    assert into[2] == [7, 3, 3]
    assert take_table_updates(messages, 0, CTX4, into) == 0  # a KEEPALIVE is not taken
    assert len(into[0]) == 3


STOPPERS = {
    "a KEEPALIVE": Keepalive().encode(),
    "a withdrawal": Update(withdrawn=(IPv4Network("10.8.0.0/24"),),
                           attributes=announce4().attributes,
                           nlri=(IPv4Network("10.9.0.0/24"),)).encode(CTX4),
    "End-of-RIB": Update().encode(CTX4),
    "attributes without prefixes": Update(attributes=announce4().attributes).encode(CTX4),
    "IPv6": announce6(IPv6Network("2001:db8::/48")).encode(CTX4),
    "an AS_SET": announce4(IPv4Network("10.9.0.0/24"), attributes=(
        base()[0], ASPath((ASPathSegment(ASPathSegmentType.AS_SET, (PEER_AS, 1)),)))
    ).encode(CTX4),
    "attributes out of order": announce4(IPv4Network("10.9.0.0/24"), attributes=(
        MultiExitDisc(5), *base())).encode(CTX4),
}


@pytest.mark.parametrize("name", sorted(STOPPERS))
def test_a_run_stops_at_an_update_of_another_kind(name: str) -> None:
    messages = [table_update(1), STOPPERS[name], table_update(2)]
    assert not is_table_update(STOPPERS[name], CTX4)
    taken, run = take(messages)
    assert taken == 1 and len(run) == 1
    assert take(messages, start=1)[0] == 1
    assert take(messages, start=2)[0] == 3


def malformed(message: bytes, at: int, value: int) -> bytes:
    return message[:at] + bytes((value,)) + message[at + 1:]


def test_a_run_stops_at_a_malformed_update_and_leaves_it_to_the_decoder() -> None:
    good = table_update(1, 2)
    nlri_at = len(good) - 8  # two /24s of four octets each
    broken = {
        "a prefix longer than 32 bits": malformed(good, nlri_at, 33),
        "a prefix cut short": good[:-1],
        "the attributes overrunning the message": malformed(good, 22, 0xFF),
        "a withdrawn length overrunning it": malformed(good, 20, 0xFF),
    }
    for name, body in broken.items():
        message = body[:16] + len(body).to_bytes(2, "big") + body[18:]
        with pytest.raises(ProtocolError):
            decode(message, CTX4)
        assert take([good, message, good])[0] == 1, name


def test_a_short_update_is_not_read_past_its_end() -> None:
    for size in (19, 20, 21, 22):
        message = b"\xff" * 16 + size.to_bytes(2, "big") + b"\x02" + b"\x00" * (size - 19)
        assert take([message])[0] == 0


def test_nothing_is_taken_under_ipv4_add_path() -> None:
    ctx = Negotiated(four_octet_as=True, add_path=frozenset({IPV4_UNICAST}))
    message = Update(attributes=announce4().attributes,
                     nlri=(PathPrefix(1, IPv4Network("10.9.0.0/24")),)).encode(ctx)
    assert take([message], ctx)[0] == 0


def test_a_run_checks_its_lists_are_of_one_length() -> None:
    with pytest.raises(LocalProtocolError, match="as many"):
        UpdateRun(CTX4, [b""], [], [1])


@st.composite
def table_like(draw: st.DrawFn) -> Update:
    """UPDATEs in the shapes routers send (type order), most of them of a table's kind."""
    path = ASPath.from_asns(tuple(draw(st.lists(st.integers(1, 2**32 - 1), min_size=1,
                                                max_size=4))))
    attributes = [base()[0], path]
    attributes.append(NextHop(IPv4Address(draw(st.integers(1, 2**32 - 1)))))
    if draw(st.booleans()):
        attributes.append(MultiExitDisc(draw(st.integers(0, 2**32 - 1))))
    if draw(st.booleans()):
        attributes.append(Communities(tuple(draw(st.lists(st.integers(0, 2**32 - 1),
                                                          min_size=1, max_size=3)))))
    nets = tuple(draw(st.lists(prefixes(4), max_size=6)))  # none: not a table's kind
    return Update(attributes=tuple(attributes), nlri=nets)


@settings(max_examples=200)
@given(st.lists(st.one_of(table_like(), table_like(), updates()), min_size=1, max_size=6),
       st.sampled_from(CONTEXTS), st.data())
def test_a_run_takes_exactly_the_table_updates_the_decoder_sees(
    drawn: list[Update], ctx: Negotiated, data: st.DataObject
) -> None:
    messages = []
    for update in drawn:
        try:
            message = update.encode(ctx)
        except (ProtocolError, LocalProtocolError):
            continue  # not encodable in this context (ADD-PATH, AS numbers)
        if data.draw(st.booleans()):  # a byte changed after the header
            at = data.draw(st.integers(19, len(message) - 1))
            message = malformed(message, at, data.draw(st.integers(0, 255)))
        messages.append(message)
    start = 0
    while start < len(messages):
        taken, run = take(messages, ctx, start)
        expected = start
        while expected < len(messages) and is_table_update(messages[expected], ctx):
            expected += 1
        assert taken == expected
        assert list(run) == [decode(message, ctx) for message in messages[start:taken]]
        start = max(taken, start + 1)
