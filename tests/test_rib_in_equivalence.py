"""The Adj-RIB-In's way for UPDATEs read off the wire gives what the general way gives.

Two tables receive the same sequence of UPDATEs: one as the peer's bytes decode (attribute lists
the decoder recognised take the fast way, checked on their bytes), the other as the same UPDATEs
built by hand (always the general way, on attribute objects). Every change reported and every
table state must match, whatever the sequence: re-announcements, replacements, withdrawals,
our AS in the path (or its octets straddling two AS numbers), AS 0, unusable next hops, stale
marking and sweeping.
"""

from __future__ import annotations

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
from bgpwire.families import IPV6_UNICAST
from bgpwire.messages import Update, decode
from bgpwire.rib import AdjRibIn, RibChange, Route

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
    kind = draw(st.sampled_from(["announce4", "announce6", "withdraw4", "withdraw6", "mixed"]))
    chosen4 = tuple(draw(st.lists(st.sampled_from(PREFIXES4), min_size=1, max_size=4)))
    chosen6 = tuple(draw(st.lists(st.sampled_from(PREFIXES6), min_size=1, max_size=4)))
    attributes = draw(attribute_sets())
    if kind == "announce4":
        return Update(attributes=(*attributes, NextHop(draw(st.sampled_from(HOPS4)))),
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
                  attributes=(*attributes, NextHop(draw(st.sampled_from(HOPS4)))))


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
