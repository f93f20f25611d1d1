"""Fuzz bgpwire.decode under several session contexts.

Invariants, for any input and each context:

* ``decode`` returns a message or raises a ProtocolError, nothing else;
* every part of a decoded message can be read: the lazily built prefixes of ``nlri`` and
  ``withdrawn`` (classic and MP_REACH/MP_UNREACH), every attribute and every field, its repr;
* encoding a decoded message again with the same context raises nothing but a
  LocalProtocolError (a message that cannot be expressed, never a crash);
* an UPDATE that leaves the session up changes an Adj-RIB-In exactly as the same UPDATE built
  by hand does: the table's way for UPDATEs read off the wire (attributes checked on their
  bytes, built later) agrees with its general way, on any input; and ``apply_all`` of it twice
  leaves the table ``apply`` of it twice leaves;
* a whole message that the framer passes is taken by ``take_table_updates`` exactly when
  ``decode`` makes a clean IPv4 table UPDATE of it, and the run gives back that UPDATE.

Run: python fuzz/fuzz_decode.py [corpus dirs] [libFuzzer flags]  (see fuzz/README.md)
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterable, Mapping
from enum import Enum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import cast

import atheris

with atheris.instrument_imports():
    from bgpwire import decode
    from bgpwire.context import Negotiated
    from bgpwire.errors import ErrorAction, LocalProtocolError, ProtocolError
    from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
    from bgpwire.framer import Framer
    from bgpwire.messages import Update
    from bgpwire.messages.update import recognised_path
    from bgpwire.messages.update_run import UpdateRun, take_table_updates
    from bgpwire.rib import AdjRibIn, RibChange

CONTEXTS = (
    Negotiated(four_octet_as=True),
    Negotiated(four_octet_as=False),
    Negotiated(add_path=frozenset({IPV4_UNICAST})),
    Negotiated(add_path=frozenset({IPV6_UNICAST})),
    Negotiated(four_octet_as=False, extended_message=True,
               add_path=frozenset({IPV4_UNICAST, IPV6_UNICAST})),
    Negotiated(extended_message=True),
)

_LEAVES = (str, bytes, int, float, Enum, IPv4Address, IPv6Address, IPv4Network, IPv6Network)


def touch(value: object) -> None:
    """Read ``value`` through and through (a network is a leaf: iterating one walks its hosts)."""
    if value is None or isinstance(value, _LEAVES):
        str(value)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            touch(getattr(value, field.name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            touch(key)
            touch(item)
    elif isinstance(value, Iterable):
        for item in value:
            touch(item)
    else:
        str(value)


LOCAL_AS = 65010
OWN_ADDRESS = IPv4Address("192.0.2.2")


def table() -> AdjRibIn:
    rib = AdjRibIn(LOCAL_AS)
    rib.external = True
    rib.local_addresses = frozenset({OWN_ADDRESS})
    return rib


def facts(change: RibChange) -> tuple[object, ...]:
    return (list(change.announced), change.replaced, list(change.withdrawn), change.rejected,
            change.end_of_rib, change.over_limit)


def check_rib(message: Update) -> None:
    """Apply ``message`` as decoded (before anything read its attributes) and as rebuilt by
    hand from what it holds; the two tables must agree."""
    if message.action >= ErrorAction.AFI_SAFI_DISABLE:
        return  # the session ends before any table sees it
    wire, built = table(), table()
    from_wire = facts(wire.apply(message))
    by_hand = Update(withdrawn=tuple(message.withdrawn), attributes=message.attributes,
                     nlri=tuple(message.nlri), problems=message.problems)
    if facts(built.apply(by_hand)) != from_wire or list(wire) != list(built):
        raise AssertionError(f"Adj-RIB-In ways disagree on {message!r}")


def check_rib_together(twins: list[Update]) -> None:
    """Apply the same UPDATE, decoded twice, with one ``apply_all`` (which reads a run of
    table UPDATEs in one pass, then finds the second's prefixes already there and goes back to
    one at a time) and with ``apply`` for each: the tables must agree."""
    if twins[0].action >= ErrorAction.AFI_SAFI_DISABLE:
        return
    together, apart = table(), table()
    changes = together.apply_all(twins)  # first: apply may build the attributes it reads
    for twin in twins:
        apart.apply(twin)
    if list(together) != list(apart) or sum(change.updates for change in changes) != 2:
        raise AssertionError(f"apply_all and apply disagree on {twins[0]!r}")


def check_run(data: bytes, ctx: Negotiated) -> None:
    """What a session with ``update_runs`` does with ``data`` agrees with ``decode`` (its own
    decoding: comparing builds the attributes, which the table checks need unbuilt)."""
    try:
        if Framer(ctx.max_message_length).feed(data) != [data]:
            return  # a session only ever hands over whole messages the framer cut
    except ProtocolError:
        return
    message: object = None
    with contextlib.suppress(ProtocolError):
        message = decode(data, ctx)
    into: tuple[list[bytes], list[bytes], list[int]] = ([], [], [])
    taken = take_table_updates([data], 0, ctx, into) == 1
    table_kind = (isinstance(message, Update) and not message.problems
                  and not message.withdrawn and bool(message.nlri) and message.mp_reach is None
                  and recognised_path(message) is not None and not ctx.ipv4_add_path)
    if taken != table_kind:
        raise AssertionError(f"take_table_updates took={taken}, decode gave {message!r}")
    if taken and UpdateRun(ctx, *into)[0] != message:
        raise AssertionError(f"the run gives another UPDATE than decode: {message!r}")


def check(data: bytes, ctx: Negotiated) -> None:
    try:
        message = decode(data, ctx)
    except ProtocolError:
        check_run(data, ctx)
        return
    check_run(data, ctx)
    if isinstance(message, Update):
        check_rib_together([cast(Update, decode(data, ctx)) for _ in range(2)])
        check_rib(message)
    touch(message)
    repr(message)
    if isinstance(message, Update):
        for prefix in message.nlri:
            str(prefix)
        for prefix in message.withdrawn:
            str(prefix)
        for attribute in message.attributes:
            touch(attribute)
            repr(attribute)
        touch(message.announced())
        touch(message.withdrawals())
        touch((message.action, message.treat_as_withdraw, message.end_of_rib))
    with contextlib.suppress(LocalProtocolError):
        message.encode(ctx)


def test_one_input(data: bytes) -> None:
    for ctx in CONTEXTS:
        check(data, ctx)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
