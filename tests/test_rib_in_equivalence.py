"""The Adj-RIB-In's way for UPDATEs read off the wire gives what the general way gives.

Two tables receive the same sequence of UPDATEs: one as the peer's bytes decode (attribute lists
the decoder recognised take the fast way, checked on their bytes), the other as the same UPDATEs
built by hand (always the general way, on attribute objects). Every change reported and every
table state must match, whatever the sequence: re-announcements, replacements, withdrawals,
our AS in the path (or its octets straddling two AS numbers), AS 0, unusable next hops, stale
marking and sweeping.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from hypothesis import given, settings
from hypothesis import strategies as st

from bgpwire.attributes import (
    ASPath,
    Communities,
    MPReachNLRI,
    MPUnreachNLRI,
    MultiExitDisc,
    NextHop,
    Origin,
    PathAttribute,
)
from bgpwire.constants import OriginCode
from bgpwire.context import Negotiated
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.messages import Update, decode
from bgpwire.messages.update_run import UpdateRun, take_table_updates
from bgpwire.rib import AdjRibIn, RibChange, Route
from tests.strategies.attributes import prefixes

LOCAL_AS = 65010  # 0x0000FDF2
CTX = Negotiated(four_octet_as=True, internal=False)

PREFIXES4 = [IPv4Network(text) for text in (
    "10.0.0.0/8", "10.16.0.0/12", "10.32.0.0/24", "10.32.1.0/24", "192.0.2.128/25", "0.0.0.0/0")]
PREFIXES6 = [IPv6Network(text) for text in (
    "2001:db8::/32", "2001:db8:1::/48", "2001:db8:2::/47", "2001:db8:4::/64", "::/0")]
HOPS4 = [IPv4Address("192.0.2.1"), IPv4Address("192.0.2.2"), IPv4Address("0.0.0.0"),
         IPv4Address("224.0.0.5")]
HOPS6 = [(IPv6Address("2001:db8::1"),), (IPv6Address("2001:db8::2"), IPv6Address("fe80::2")),
         (IPv6Address("ff02::1"),)]
PATHS = [
    (65001,), (65001, 3356), (65001, LOCAL_AS), (65001, 0),
    (65001, 0xAAAA0000, 0xFDF2BBBB),  # our AS's octets across two numbers: no loop
]


@st.composite
def attribute_sets(draw: st.DrawFn) -> tuple[PathAttribute, ...]:
    attributes: list[PathAttribute] = [
        Origin(draw(st.sampled_from(OriginCode))), ASPath.from_asns(draw(st.sampled_from(PATHS)))]
    if draw(st.booleans()):
        attributes.append(MultiExitDisc(draw(st.integers(0, 3))))
    if draw(st.booleans()):
        values = draw(st.lists(st.integers(0, 3), min_size=1, max_size=2))
        attributes.append(Communities(tuple(values)))
    return tuple(attributes)


@st.composite
def updates(draw: st.DrawFn) -> Update:
    """An UPDATE over a few prefixes that keep coming back."""
    kind = draw(st.sampled_from(["announce4", "announce6", "withdraw4", "withdraw6", "mixed"]))
    chosen4 = tuple(draw(st.lists(st.sampled_from(PREFIXES4), min_size=1, max_size=4)))
    chosen6 = tuple(draw(st.lists(st.sampled_from(PREFIXES6), min_size=1, max_size=4)))
    attributes = draw(attribute_sets())
    # In type order, as routers send them: the decoder recognises such lists (and the table
    # takes its fast ways), while the hand-built twins always take the general way.
    head, tail = attributes[:2], attributes[2:]
    if kind == "announce4":
        return Update(attributes=(*head, NextHop(draw(st.sampled_from(HOPS4))), *tail),
                      nlri=chosen4)
    if kind == "announce6":
        reach = MPReachNLRI(IPV6_UNICAST, draw(st.sampled_from(HOPS6)), chosen6)
        return Update(attributes=(*attributes, reach))
    if kind == "withdraw4":
        return Update(withdrawn=chosen4)
    if kind == "withdraw6":
        return Update(attributes=(MPUnreachNLRI(IPV6_UNICAST, chosen6),))
    withdrawn = tuple(draw(st.lists(st.sampled_from(PREFIXES4), max_size=3)))
    return Update(withdrawn=withdrawn, nlri=chosen4,
                  attributes=(*head, NextHop(draw(st.sampled_from(HOPS4))), *tail))


@st.composite
def table_updates(draw: st.DrawFn) -> Update:
    """An UPDATE as a table is made of: prefixes of one family, seldom seen before, a path
    without our AS and a usable next hop."""
    head = (Origin(OriginCode.IGP), ASPath.from_asns(draw(st.sampled_from(PATHS[:2]))))
    tail = (MultiExitDisc(draw(st.integers(0, 3))),) if draw(st.booleans()) else ()
    if draw(st.booleans()):
        chosen4 = tuple(draw(st.lists(prefixes(4), min_size=1, max_size=4, unique=True)))
        return Update(attributes=(*head, NextHop(draw(st.sampled_from(HOPS4[:2]))), *tail),
                      nlri=chosen4)
    chosen6 = tuple(draw(st.lists(prefixes(6), min_size=1, max_size=4, unique=True)))
    reach = MPReachNLRI(IPV6_UNICAST, draw(st.sampled_from(HOPS6[:2])), chosen6)
    return Update(attributes=(*head, *tail, reach))


def received(update: Update) -> Update:
    message = decode(update.encode(CTX), CTX)
    assert isinstance(message, Update)
    return message


def facts(change: RibChange) -> tuple[object, ...]:
    """A change as comparable data (the order of routes within each list is kept)."""
    return (list(change.announced), list(change.replaced), list(change.withdrawn),
            list(change.rejected), change.end_of_rib, change.over_limit)


def table(rib: AdjRibIn) -> list[Route]:
    return sorted(rib.routes(), key=lambda route: (route.family, str(route.prefix)))


@settings(max_examples=300)
@given(st.lists(st.tuples(updates(), st.sampled_from(["", "", "", "stale", "sweep"])),
                min_size=1, max_size=12))
def test_wire_and_hand_built_updates_change_the_table_alike(
    steps: list[tuple[Update, str]]
) -> None:
    wire, built = AdjRibIn(LOCAL_AS, max_prefixes=8), AdjRibIn(LOCAL_AS, max_prefixes=8)
    for rib in (wire, built):
        rib.external = True
        rib.local_addresses = frozenset({IPv4Address("192.0.2.2")})
    for update, then in steps:
        assert facts(wire.apply(received(update))) == facts(built.apply(update))
        assert table(wire) == table(built)
        if then == "stale":
            assert wire.mark_stale() == built.mark_stale()
        elif then == "sweep":
            assert facts(wire.sweep_stale()) == facts(built.sweep_stale())
        assert table(wire) == table(built)


def as_applied_one_by_one(changes: list[RibChange], expected: list[RibChange]
                          ) -> list[tuple[object, ...]]:
    """The facts of ``changes`` from apply_all, each change of several UPDATEs checked against
    and replaced by the changes ``expected`` (from apply, one per UPDATE) it stands for: they
    only announced new routes, which it holds in the same order."""
    got: list[tuple[object, ...]] = []
    for change in changes:
        assert change.updates >= 1
        stands_for, expected = expected[:change.updates], expected[change.updates:]
        if change.updates == 1:
            got.append(facts(change))
            continue
        assert len(stands_for) == change.updates
        assert all(facts(one)[1:] == ([], [], [], None, ()) for one in stands_for)
        assert facts(change)[1:] == ([], [], [], None, ())
        assert list(change.announced) == [route for one in stands_for for route in one.announced]
        got.extend(facts(one) for one in stands_for)
    return got


@settings(max_examples=300)
@given(st.lists(st.one_of(updates(), table_updates(), table_updates()), min_size=1,
                max_size=16),
       st.lists(st.integers(1, 6), min_size=1), st.sampled_from([None, 6]), st.booleans())
def test_applying_updates_together_gives_what_applying_them_one_by_one_gives(
    steps: list[Update], sizes: list[int], limit: int | None, as_runs: bool
) -> None:
    """The same table, and the same changes but for runs installed together (one change for
    several UPDATEs that only announced new routes), up to the first change over the limit,
    where a session ends (RFC 4486) and apply_all stops. With ``as_runs``, each batch is cut
    as a session with ``update_runs`` tells it: the table UPDATEs in an UpdateRun, every other
    alone."""
    one_by_one = AdjRibIn(LOCAL_AS, max_prefixes=limit)
    together = AdjRibIn(LOCAL_AS, max_prefixes=limit)
    wire = [received(update) for update in steps]
    expected: list[RibChange] = []
    for update in wire:
        change = one_by_one.apply(update)
        expected.append(change)
        if change.over_limit:
            break
    pieces = session_runs([update.encode(CTX) for update in steps]) if as_runs else [wire]
    batches = [piece[start:start + size] for piece in pieces
               for start, size in cuts(len(piece), sizes)]
    got: list[tuple[object, ...]] = []
    for batch in batches:
        changes = together.apply_all(batch)
        got.extend(as_applied_one_by_one(changes, expected[len(got):]))
        if changes and changes[-1].over_limit:
            break
        assert sum(change.updates for change in changes) == len(batch)
    assert got == [facts(change) for change in expected]
    assert table(together) == table(one_by_one)


def cuts(length: int, sizes: list[int]) -> list[tuple[int, int]]:
    """Where to cut a sequence of ``length`` into batches of ``sizes`` in turn."""
    found: list[tuple[int, int]] = []
    start = 0
    while start < length:
        size = sizes[len(found) % len(sizes)]
        found.append((start, size))
        start += size
    return found


def session_runs(messages: list[bytes]) -> list[Sequence[Update]]:
    """``messages`` as a session with ``update_runs`` hands them over."""
    runs: list[Sequence[Update]] = []
    index = 0
    while index < len(messages):
        into: tuple[list[bytes], list[bytes], list[int]] = ([], [], [])
        taken = take_table_updates(messages, index, CTX, into)
        if taken > index:
            runs.append(UpdateRun(CTX, *into))
            index = taken
            continue
        update = decode(messages[index], CTX)
        assert isinstance(update, Update)
        runs.append([update])
        index += 1
    return runs


def test_applying_together_stops_at_the_update_that_passes_the_limit() -> None:
    updates = [received(announce(i, [IPv4Network(f"10.{i}.{j}.0/24") for j in range(3)]))
               for i in range(5)]
    rib = AdjRibIn(LOCAL_AS, max_prefixes=10)
    changes = rib.apply_all(updates)
    assert [len(change.announced) for change in changes] == [3, 3, 3, 3]
    assert [change.over_limit for change in changes] == [(), (), (), (IPV4_UNICAST,)]
    assert len(rib) == 12  # as apply leaves it: the UPDATE that passed the limit is in
    assert rib.get(IPV4_UNICAST, IPv4Network("10.4.0.0/24")) is None
    within = AdjRibIn(LOCAL_AS, max_prefixes=15)
    changes = within.apply_all(updates)
    assert [(change.updates, change.over_limit) for change in changes] == [(5, ())]
    assert len(within) == 15


def test_a_run_with_a_prefix_there_already_is_undone_and_applied_one_by_one() -> None:
    prefixes = [IPv4Network(f"10.0.{i}.0/24") for i in range(6)]
    first, again, last = (received(announce(med, chosen)) for med, chosen in (
        (1, prefixes[:2]), (2, prefixes[1:4]), (3, prefixes[4:])))  # 10.0.1.0/24 twice
    rib, reference = AdjRibIn(LOCAL_AS), AdjRibIn(LOCAL_AS)
    changes = rib.apply_all([first, again, last])
    expected = [reference.apply(update) for update in (first, again, last)]
    assert [facts(change) for change in changes] == [facts(change) for change in expected]
    assert [old.prefix for old, _ in changes[1].replaced] == [prefixes[1]]
    assert table(rib) == table(reference) and len(rib) == 6


def announce(med: int, prefixes: list[IPv4Network]) -> Update:
    return Update(attributes=(Origin(OriginCode.IGP), ASPath.from_asns((65001,)),
                              NextHop(HOPS4[0]), MultiExitDisc(med)), nlri=prefixes)


def test_a_run_of_new_prefixes_is_installed_in_one_pass() -> None:
    prefixes = [IPv4Network(f"10.0.{i}.0/24") for i in range(6)]
    run = [received(announce(med, prefixes[2 * med:2 * med + 2])) for med in range(3)]
    rib, reference = AdjRibIn(LOCAL_AS), AdjRibIn(LOCAL_AS)
    assert all(rib._recognised(update) is not None for update in run)  # the fast way
    changes = rib.apply_all(run)
    assert len(changes) == 1 and changes[0].updates == 3  # one change for the run
    assert [route.prefix for route in changes[0].announced] == prefixes
    assert list(changes[0].announced) == [
        route for update in run for route in reference.apply(update).announced]
    assert table(rib) == table(reference)
