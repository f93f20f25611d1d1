"""Adj-RIB-Out: the minimal difference, packing into UPDATEs, next-hop placement, End-of-RIB,
route refresh and session restart."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from bgpwire.attributes import (
    ASPath,
    Communities,
    MPReachNLRI,
    MPUnreachNLRI,
    MultiExitDisc,
    NextHop,
    PathAttribute,
)
from bgpwire.constants import MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH
from bgpwire.context import Negotiated
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.messages import Update, decode, pack_announcements
from bgpwire.prefixes import PathPrefix
from bgpwire.rib import AdjRibIn, AdjRibOut, Route, end_of_rib, message_attributes, route_attributes

NH4 = IPv4Address("192.0.2.1")
NH6 = IPv6Address("2001:db8::1")
LL6 = IPv6Address("fe80::1")
CTX = Negotiated()
EXTENDED = Negotiated(extended_message=True)
ATTRS = route_attributes(as_path=[65001, 65002])
OTHER = route_attributes(as_path=[65001], med=7)


def v4(n: int, attributes: tuple[PathAttribute, ...] = ATTRS, next_hop: IPv4Address = NH4) -> Route:
    return Route(IPV4_UNICAST, IPv4Network(((10 << 24) + (n << 8), 24)), attributes, next_hop)


def v6(n: int, attributes: tuple[PathAttribute, ...] = ATTRS,
       link_local: IPv6Address | None = None) -> Route:
    prefix = IPv6Network(((0x20010DB8 << 96) + (n << 64), 64))
    return Route(IPV6_UNICAST, prefix, attributes, NH6, link_local)


def received(updates: list[Update], ctx: Negotiated = CTX) -> AdjRibIn:
    rib = AdjRibIn(64999)
    for update in updates:
        message = decode(update.encode(ctx), ctx)
        assert isinstance(message, Update)
        rib.apply(message)
    return rib


# --- the minimal difference ------------------------------------------------------------------


def test_an_unchanged_route_is_not_sent_again() -> None:
    out = AdjRibOut()
    routes = [v4(1), v4(2), v6(1)]
    assert out.announce(routes) == 3 and out.pending == 3
    assert len(out.updates(CTX)) == 2 and out.pending == 0
    assert out.announce(routes) == 0 and out.pending == 0
    assert out.updates(CTX) == []
    assert len(out) == 3 and set(out) == set(routes)
    assert list(out.routes(IPV6_UNICAST)) == [v6(1)]
    assert out.get(IPV4_UNICAST, v4(2).prefix) == v4(2)


def test_a_changed_route_sends_only_that_route() -> None:
    out = AdjRibOut()
    out.announce([v4(n) for n in range(50)])
    out.updates(CTX)
    assert out.announce([v4(n) for n in range(50)] + [v4(7, OTHER)]) == 1
    update, = out.updates(CTX)
    assert update.nlri == (v4(7).prefix,) and update.attr(MultiExitDisc) == MultiExitDisc(7)
    assert not update.withdrawn and out.get(IPV4_UNICAST, v4(7).prefix) == v4(7, OTHER)


def test_withdrawals_only_for_what_was_sent() -> None:
    out = AdjRibOut()
    out.announce([v4(1), v6(1)])
    out.updates(CTX)
    assert out.withdraw([v4(1), (IPV6_UNICAST, v6(1).prefix), v4(9).key]) == 2
    assert out.withdraw([v4(1)]) == 0  # already pending
    first, second = out.updates(CTX)
    assert first.withdrawn == (v4(1).prefix,)
    assert second.mp_unreach == MPUnreachNLRI(IPV6_UNICAST, (v6(1).prefix,))
    assert len(out) == 0 and out.withdraw([v4(1)]) == 0


def test_changes_undone_before_sending_cost_nothing() -> None:
    out = AdjRibOut()
    out.announce([v4(1)])
    assert out.announce([v4(1)]) == 0 and out.pending == 1  # already pending
    assert out.withdraw([v4(1)]) == 1 and out.pending == 0 and out.updates(CTX) == []
    out.announce([v4(2)])
    out.updates(CTX)
    out.announce([v4(2, OTHER)])
    assert out.announce([v4(2)]) == 1 and out.pending == 0  # back to what the peer has
    out.withdraw([v4(2)])
    assert out.announce([v4(2)]) == 1 and out.pending == 0
    assert out.updates(CTX) == []


def test_stale_routes_are_sent_as_plain_routes() -> None:
    out = AdjRibOut()
    stale = Route(IPV4_UNICAST, v4(1).prefix, ATTRS, NH4, stale=True)
    out.announce([stale])
    out.updates(CTX)
    assert out.get(IPV4_UNICAST, stale.prefix) == v4(1)
    assert out.announce([v4(1)]) == 0


# --- packing ---------------------------------------------------------------------------------


def test_routes_with_identical_attributes_share_updates_that_stay_under_the_limit() -> None:
    out = AdjRibOut()
    routes = [v4(n) for n in range(3000)] + [v4(n, OTHER) for n in range(3000, 3100)]
    out.announce(routes)
    updates = out.updates(CTX)
    expected = (len(pack_announcements(message_attributes(IPV4_UNICAST, ATTRS, (NH4,)),
                                       [r.prefix for r in routes[:3000]], CTX))
                + len(pack_announcements(message_attributes(IPV4_UNICAST, OTHER, (NH4,)),
                                         [r.prefix for r in routes[3000:]], CTX)))
    assert len(updates) == expected == 4  # 3000 /24s at 4 octets each need three messages
    sizes = [len(update.encode(CTX)) for update in updates]
    assert max(sizes) <= MAX_MESSAGE_LENGTH and min(sizes[:2]) > MAX_MESSAGE_LENGTH - 8
    assert {update.attributes for update in updates[:3]} == {updates[0].attributes}
    assert received(updates).counts() == {IPV4_UNICAST: 3100}


def test_extended_messages_hold_more_routes() -> None:
    routes = [v6(n) for n in range(20000)]
    small, large = AdjRibOut(), AdjRibOut()
    small.announce(routes)
    large.announce(routes)
    few = large.updates(EXTENDED)
    many = small.updates(CTX)
    assert len(few) == 3 and len(many) > 40  # 20000 /64s at 9 octets each
    assert all(len(u.encode(EXTENDED)) <= MAX_EXTENDED_MESSAGE_LENGTH for u in few)
    assert all(len(u.encode(CTX)) <= MAX_MESSAGE_LENGTH for u in many)
    large.withdraw(routes)
    withdrawals = large.updates(EXTENDED)
    assert len(withdrawals) == 3
    assert all(len(u.encode(EXTENDED)) <= MAX_EXTENDED_MESSAGE_LENGTH for u in withdrawals)


def test_attributes_go_out_in_type_code_order() -> None:
    # RFC 4271 §5: a sender SHOULD order path attributes by ascending type code.
    attributes = route_attributes(as_path=[1], med=3, communities=[5])
    for ipv4_multiprotocol in (False, True):
        out = AdjRibOut()
        out.announce([v4(1, attributes), v6(1, attributes)])
        for update in out.updates(CTX, ipv4_multiprotocol=ipv4_multiprotocol):
            codes = [a.type_code for a in update.attributes]
            assert codes == sorted(codes)


# --- where the next hop goes -----------------------------------------------------------------


def test_ipv4_unicast_uses_the_classic_fields_and_next_hop_by_default() -> None:
    out = AdjRibOut()
    out.announce([v4(1)])
    update, = out.updates(CTX)
    assert update.nlri == (v4(1).prefix,) and update.attr(NextHop) == NextHop(NH4)
    assert update.mp_reach is None


def test_ipv4_unicast_in_mp_reach_when_asked_and_withdrawn_in_mp_unreach() -> None:
    out = AdjRibOut()
    out.announce([v4(1)])
    update, = out.updates(CTX, ipv4_multiprotocol=True)
    assert not update.nlri and update.attr(NextHop) is None
    assert update.mp_reach == MPReachNLRI(IPV4_UNICAST, (NH4,), (v4(1).prefix,))
    out.withdraw([v4(1)])
    withdrawal, = out.updates(CTX, ipv4_multiprotocol=True)
    assert withdrawal.mp_unreach == MPUnreachNLRI(IPV4_UNICAST, (v4(1).prefix,))
    assert received([update]).get(IPV4_UNICAST, v4(1).prefix) == v4(1)


def test_ipv4_over_an_ipv6_next_hop_always_uses_mp_reach() -> None:
    # RFC 8950: the classic NEXT_HOP cannot hold an IPv6 address.
    route = Route(IPV4_UNICAST, v4(1).prefix, ATTRS, NH6, LL6)
    out = AdjRibOut()
    out.announce([route])
    update, = out.updates(CTX)
    assert update.mp_reach == MPReachNLRI(IPV4_UNICAST, (NH6, LL6), (route.prefix,))
    assert received([update]).get(IPV4_UNICAST, route.prefix) == route


def test_ipv6_next_hop_is_16_octets_or_32_with_link_local() -> None:
    out = AdjRibOut()
    out.announce([v6(1), v6(2, link_local=LL6)])
    global_only, with_link_local = out.updates(CTX)
    for update, length in ((global_only, 16), (with_link_local, 32)):
        reach = update.mp_reach
        assert reach is not None
        value = reach.encode_value(CTX)
        assert value[3] == length and value[4:4 + length] == b"".join(
            hop.packed for hop in reach.next_hops)
    assert with_link_local.mp_reach is not None
    assert with_link_local.mp_reach.next_hops == (NH6, LL6)
    rib = received([global_only, with_link_local])
    assert rib.get(IPV6_UNICAST, v6(2).prefix) == v6(2, link_local=LL6)


def test_add_path_routes_keep_their_path_identifiers() -> None:
    ctx = Negotiated(add_path=frozenset({IPV4_UNICAST}))
    prefix = IPv4Network("10.0.0.0/8")
    routes = [Route(IPV4_UNICAST, PathPrefix(n, prefix), ATTRS, NH4) for n in (1, 2)]
    out = AdjRibOut()
    out.announce(routes)
    update, = out.updates(ctx)
    assert update.nlri == tuple(r.prefix for r in routes)
    assert set(received([update], ctx)) == set(routes)


# --- End-of-RIB, route refresh, a new session ------------------------------------------------


def test_end_of_rib_markers() -> None:
    # RFC 4724 §2: an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI otherwise.
    assert end_of_rib(IPV4_UNICAST).encode(CTX) == bytes.fromhex(
        "ff" * 16 + "0017" "02" "0000" "0000")
    assert end_of_rib(IPV6_UNICAST).encode(CTX) == bytes.fromhex(
        "ff" * 16 + "001d" "02" "0000" "0006" "800f03" "000201")
    assert AdjRibOut.end_of_rib(IPV6_UNICAST) == end_of_rib(IPV6_UNICAST)
    for family in (IPV4_UNICAST, IPV6_UNICAST):
        message = decode(end_of_rib(family).encode(CTX), CTX)
        assert isinstance(message, Update) and message.end_of_rib == family
        assert AdjRibIn(1).apply(message).end_of_rib == family


def test_all_updates_resends_everything_after_pending_withdrawals() -> None:
    out = AdjRibOut()
    out.announce([v4(1), v4(2), v6(1)])
    out.updates(CTX)
    out.withdraw([v4(2)])
    out.announce([v4(3)])
    updates = out.all_updates(CTX)
    assert updates[0].withdrawn == (v4(2).prefix,)
    assert set(received(updates[1:])) == {v4(1), v4(3), v6(1)} and out.pending == 0
    assert len(out.all_updates(CTX)) == 2 and out.updates(CTX) == []


def test_forget_sent_makes_the_next_updates_advertise_the_whole_table() -> None:
    out = AdjRibOut()
    out.announce([v4(1), v4(2), v6(1)])
    out.updates(CTX)
    out.withdraw([v4(2)])
    out.announce([v4(3), v4(1, OTHER)])
    out.forget_sent()
    assert len(out) == 0 and out.pending == 3
    updates = out.updates(CTX)
    assert all(not u.withdrawn and u.mp_unreach is None for u in updates)
    assert set(received(updates)) == {v4(1, OTHER), v4(3), v6(1)}


def test_clear_forgets_without_withdrawing() -> None:
    out = AdjRibOut()
    out.announce([v4(1)])
    out.updates(CTX)
    out.announce([v4(2)])
    out.clear()
    assert len(out) == 0 and out.pending == 0 and out.updates(CTX) == []
    assert out.withdraw([v4(1)]) == 0


def test_message_attributes_template() -> None:
    assert message_attributes(IPV4_UNICAST, ATTRS, (NH4,)) == (*ATTRS, NextHop(NH4))
    template = message_attributes(IPV6_UNICAST, (*ATTRS, Communities((1,))), (NH6,))
    assert [type(a) for a in template][-2:] == [Communities, MPReachNLRI]
    assert isinstance(template[1], ASPath)
