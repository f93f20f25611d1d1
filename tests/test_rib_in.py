"""Adj-RIB-In: installing, replacing and withdrawing routes; RFC 7606 outcomes; AS-path loops;
the prefix limit; End-of-RIB; Graceful Restart stale routes; the Route value itself."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import pytest

from bgpwire.attributes import (
    AS4Path,
    ASPath,
    ASPathSegment,
    AtomicAggregate,
    LocalPref,
    MPReachNLRI,
    MPUnreachNLRI,
    MultiExitDisc,
    NextHop,
    Origin,
    PathAttribute,
    UnknownAttribute,
)
from bgpwire.attributes.base import OPTIONAL_NON_TRANSITIVE, WELL_KNOWN
from bgpwire.constants import ASPathSegmentType, CeaseSubcode, ErrorCode, OriginCode
from bgpwire.context import Negotiated
from bgpwire.errors import ErrorAction, LocalProtocolError
from bgpwire.families import IPV4_MULTICAST, IPV4_UNICAST, IPV6_UNICAST, Family
from bgpwire.messages import Update, decode
from bgpwire.prefixes import PathPrefix
from bgpwire.rib import AdjRibIn, Route, max_prefixes_error, max_prefixes_notification
from bgpwire.rib.route import decoded_route, route_attributes_of

LOCAL_AS = 65000
PEER_AS = 65001
NH4 = IPv4Address("192.0.2.1")
NH6 = IPv6Address("2001:db8::1")
LL6 = IPv6Address("fe80::1")
P1 = IPv4Network("10.0.1.0/24")
P2 = IPv4Network("10.0.2.0/24")
Q1 = IPv6Network("2001:db8:1::/48")
Q2 = IPv6Network("2001:db8:2::/48")
CTX = Negotiated()


def base(*asns: int, med: int | None = None) -> tuple[PathAttribute, ...]:
    attributes: list[PathAttribute] = [Origin(OriginCode.IGP), ASPath.from_asns(asns or (PEER_AS,))]
    if med is not None:
        attributes.append(MultiExitDisc(med))
    return tuple(attributes)


def announce4(*prefixes: IPv4Network, attributes: tuple[PathAttribute, ...] = (),
              next_hop: IPv4Address = NH4) -> Update:
    return Update(attributes=(*(attributes or base()), NextHop(next_hop)), nlri=prefixes)


def announce6(*prefixes: IPv6Network, attributes: tuple[PathAttribute, ...] = (),
              next_hops: tuple[IPv6Address, ...] = (NH6,)) -> Update:
    reach = MPReachNLRI(IPV6_UNICAST, next_hops, prefixes)
    return Update(attributes=(*(attributes or base()), reach))


def wire(update: Update, ctx: Negotiated = CTX) -> Update:
    """``update`` as the peer's bytes decode: with the RFC 7606 outcomes recorded."""
    message = decode(update.encode(ctx), ctx)
    assert isinstance(message, Update)
    return message


# --- announcing and withdrawing --------------------------------------------------------------


def test_classic_announcement_installs_routes_with_the_next_hop_as_a_field() -> None:
    rib = AdjRibIn(LOCAL_AS)
    change = rib.apply(wire(announce4(P1, P2)))
    route = rib.get(IPV4_UNICAST, P1)
    assert route == Route(IPV4_UNICAST, P1, base(), NH4)
    assert route is not None and route.attr(NextHop) is None and route.key == (IPV4_UNICAST, P1)
    assert [r.prefix for r in change.announced] == [P1, P2]
    assert change and not change.replaced and not change.withdrawn
    assert len(rib) == 2 and rib.count(IPV4_UNICAST) == 2 and rib.counts() == {IPV4_UNICAST: 2}
    assert (IPV4_UNICAST, P1) in rib and (IPV6_UNICAST, Q1) not in rib and "x" not in rib
    assert set(rib) == set(rib.routes(IPV4_UNICAST)) and not list(rib.routes(IPV6_UNICAST))


def test_mp_reach_installs_ipv6_routes_with_global_and_link_local_next_hops() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce6(Q1, next_hops=(NH6, LL6))))
    rib.apply(wire(announce6(Q2)))
    assert rib.get(IPV6_UNICAST, Q1) == Route(IPV6_UNICAST, Q1, base(), NH6, LL6)
    assert rib.get(IPV6_UNICAST, Q2) == Route(IPV6_UNICAST, Q2, base(), NH6)
    assert rib.counts() == {IPV6_UNICAST: 2}


def test_ipv4_over_an_ipv6_next_hop_and_other_prefix_families() -> None:
    rib = AdjRibIn(LOCAL_AS)
    ipv4_over_6 = MPReachNLRI(IPV4_UNICAST, (NH6,), (P1,))
    multicast = MPReachNLRI(IPV4_MULTICAST, (NH4,), (P2,))
    rib.apply(wire(Update(attributes=(*base(), ipv4_over_6))))
    rib.apply(wire(Update(attributes=(*base(), multicast))))
    assert rib.get(IPV4_UNICAST, P1) == Route(IPV4_UNICAST, P1, base(), NH6)
    assert rib.get(IPV4_MULTICAST, P2) == Route(IPV4_MULTICAST, P2, base(), NH4)
    assert rib.get(Family(25, 70), P2) is None


def test_a_changed_announcement_replaces_and_an_identical_one_changes_nothing() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce4(P1)))
    same = rib.apply(wire(announce4(P1)))
    assert not same and not same.announced and not same.replaced and not same.withdrawn
    changed = rib.apply(wire(announce4(P1, attributes=base(med=10))))
    old, new = changed.replaced[0]
    assert old.attr(MultiExitDisc) is None and new.attr(MultiExitDisc) == MultiExitDisc(10)
    assert rib.get(IPV4_UNICAST, P1) == new and len(rib) == 1


def test_withdrawals_in_both_fields_remove_routes_and_unknown_ones_are_ignored() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce4(P1, P2)))
    rib.apply(wire(announce6(Q1, Q2)))
    change = rib.apply(wire(Update(
        withdrawn=(P1, IPv4Network("10.9.0.0/16")),
        attributes=(MPUnreachNLRI(IPV6_UNICAST, (Q1,)),),
    )))
    assert {r.prefix for r in change.withdrawn} == {P1, Q1}
    assert rib.counts() == {IPV4_UNICAST: 1, IPV6_UNICAST: 1}
    assert not rib.apply(Update(withdrawn=(P1,)))
    assert not rib.apply(Update(attributes=(MPUnreachNLRI(IPV4_MULTICAST, (P1,)),)))


def test_a_prefix_withdrawn_and_announced_in_one_update_stays_announced() -> None:
    # RFC 4271 §4.3: treat it as though the withdrawn routes did not contain the prefix.
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce4(P1)))
    both = Update(withdrawn=(P1,), attributes=(*base(med=1), NextHop(NH4)), nlri=(P1,))
    change = rib.apply(wire(both))
    assert not change.withdrawn and len(change.replaced) == 1
    assert rib.get(IPV4_UNICAST, P1) == Route(IPV4_UNICAST, P1, base(med=1), NH4)


# --- RFC 7606 outcomes -----------------------------------------------------------------------


def malformed_med() -> UnknownAttribute:
    """A MULTI_EXIT_DISC of three octets: RFC 7606 §7.4 treats the UPDATE as withdraw."""
    return UnknownAttribute(code=4, value=b"\x00\x00\x01", flags=OPTIONAL_NON_TRANSITIVE)


def test_treat_as_withdraw_removes_previously_installed_prefixes_of_every_family() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce4(P1, P2)))
    rib.apply(wire(announce6(Q1)))
    bad4 = wire(Update(attributes=(*base(), malformed_med(), NextHop(NH4)), nlri=(P1,)))
    assert bad4.action is ErrorAction.TREAT_AS_WITHDRAW
    change = rib.apply(bad4)
    assert [r.prefix for r in change.withdrawn] == [P1]
    assert change.rejected == ((IPV4_UNICAST, P1),) and not change.announced
    bad6 = wire(Update(attributes=(
        *base(), malformed_med(), MPReachNLRI(IPV6_UNICAST, (NH6,), (Q1, Q2)))))
    change = rib.apply(bad6)
    assert [r.prefix for r in change.withdrawn] == [Q1]
    assert change.rejected == ((IPV6_UNICAST, Q1), (IPV6_UNICAST, Q2))
    assert rib.counts() == {IPV4_UNICAST: 1}


def test_treat_as_withdraw_of_a_prefix_never_installed_is_no_change() -> None:
    rib = AdjRibIn(LOCAL_AS)
    change = rib.apply(wire(Update(attributes=(*base(), malformed_med(), NextHop(NH4)),
                                   nlri=(P1,))))
    assert not change and change.rejected == ((IPV4_UNICAST, P1),) and len(rib) == 0


def test_a_discarded_attribute_leaves_the_route_with_what_remains() -> None:
    # RFC 7606 §7.6: an ATOMIC_AGGREGATE with a value is discarded, the route is kept.
    bad = UnknownAttribute(code=6, value=b"\x01", flags=WELL_KNOWN)
    update = wire(Update(attributes=(*base(), bad, NextHop(NH4)), nlri=(P1,)))
    assert update.action is ErrorAction.ATTRIBUTE_DISCARD
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(update)
    route = rib.get(IPV4_UNICAST, P1)
    assert route == Route(IPV4_UNICAST, P1, base(), NH4) and route.attr(AtomicAggregate) is None


def test_local_pref_from_an_external_peer_is_discarded_not_fatal() -> None:
    sender = Negotiated(internal=None)
    receiver = Negotiated(internal=False)
    data = Update(attributes=(*base(), LocalPref(300), NextHop(NH4)), nlri=(P1,)).encode(sender)
    update = decode(data, receiver)
    assert isinstance(update, Update)
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(update)
    assert rib.get(IPV4_UNICAST, P1) == Route(IPV4_UNICAST, P1, base(), NH4)


def test_a_hand_built_announcement_without_next_hop_is_not_installed() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(announce4(P1))
    change = rib.apply(Update(attributes=base(), nlri=(P1, P2)))
    assert change.rejected == ((IPV4_UNICAST, P1), (IPV4_UNICAST, P2))
    assert [r.prefix for r in change.withdrawn] == [P1] and len(rib) == 0


# --- AS-path loop detection (RFC 4271 §9.1.2) ------------------------------------------------


@pytest.mark.parametrize("path", [
    ASPath.from_asns((PEER_AS, LOCAL_AS, 65010)),
    ASPath((ASPathSegment(ASPathSegmentType.AS_SEQUENCE, (PEER_AS,)),
            ASPathSegment(ASPathSegmentType.AS_SET, (65020, LOCAL_AS)))),
    ASPath((ASPathSegment(ASPathSegmentType.AS_CONFED_SEQUENCE, (LOCAL_AS,)),)),
], ids=["sequence", "set", "confed"])
def test_a_route_whose_path_holds_our_as_is_not_installed(path: ASPath) -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce4(P1)))
    change = rib.apply(wire(announce4(P1, P2, attributes=(Origin(OriginCode.IGP), path))))
    assert [r.prefix for r in change.withdrawn] == [P1]
    assert change.rejected == ((IPV4_UNICAST, P1), (IPV4_UNICAST, P2))
    assert len(rib) == 0


def test_our_as_in_as4_path_is_a_loop_too() -> None:
    attributes = (Origin(OriginCode.IGP), ASPath.from_asns((PEER_AS,)),
                  AS4Path.from_asns((PEER_AS, LOCAL_AS)))
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(announce6(Q1, attributes=attributes))
    assert len(rib) == 0


def test_a_path_without_our_as_is_installed() -> None:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce4(P1, attributes=base(PEER_AS, 65010, LOCAL_AS + 1))))
    assert len(rib) == 1


# --- End-of-RIB and the prefix limit ---------------------------------------------------------


def test_end_of_rib_is_recorded_per_family() -> None:
    rib = AdjRibIn(LOCAL_AS)
    assert rib.apply(wire(Update())).end_of_rib == IPV4_UNICAST
    change = rib.apply(wire(Update(attributes=(MPUnreachNLRI.end_of_rib(IPV6_UNICAST),))))
    assert change.end_of_rib == IPV6_UNICAST and not change
    assert rib.end_of_rib_received == {IPV4_UNICAST, IPV6_UNICAST}
    rib.clear([IPV6_UNICAST])
    assert rib.end_of_rib_received == {IPV4_UNICAST}
    rib.clear()
    assert rib.end_of_rib_received == frozenset()


def test_exceeding_the_prefix_limit_is_reported_per_family() -> None:
    rib = AdjRibIn(LOCAL_AS, max_prefixes=2)
    assert rib.apply(wire(announce4(P1, P2))).over_limit == ()
    assert rib.apply(wire(announce6(Q1))).over_limit == ()
    change = rib.apply(wire(announce4(IPv4Network("10.0.3.0/24"))))
    assert change.over_limit == (IPV4_UNICAST,) and rib.count(IPV4_UNICAST) == 3
    assert rib.limit(IPV6_UNICAST) == 2


def test_per_family_limits_leave_other_families_unlimited() -> None:
    rib = AdjRibIn(LOCAL_AS, max_prefixes={IPV6_UNICAST: 1})
    assert rib.apply(wire(announce4(P1, P2))).over_limit == ()
    assert rib.limit(IPV4_UNICAST) is None and rib.limit(IPV6_UNICAST) == 1
    assert rib.apply(wire(announce6(Q1, Q2))).over_limit == (IPV6_UNICAST,)
    assert AdjRibIn(LOCAL_AS).limit(IPV4_UNICAST) is None


def test_the_max_prefix_notification_carries_afi_safi_and_limit() -> None:
    # RFC 4486 §4: Cease, subcode 1, data AFI (2 octets), SAFI (1), upper bound (4).
    notification = max_prefixes_notification(IPV6_UNICAST, 1000)
    assert notification.code == ErrorCode.CEASE
    assert notification.subcode == CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED
    assert notification.data == bytes.fromhex("0002" "01" "000003e8")
    assert notification.encode() == bytes.fromhex(
        "ffffffffffffffffffffffffffffffff" "001c" "03" "06" "01" "000201000003e8")
    error = max_prefixes_error(IPV4_UNICAST, 5)
    assert error.data == bytes.fromhex("0001" "01" "00000005") and "5" in error.reason


# --- Graceful Restart (RFC 4724 §4.2) and session end ----------------------------------------


def loaded() -> AdjRibIn:
    rib = AdjRibIn(LOCAL_AS)
    rib.apply(wire(announce4(P1, P2)))
    rib.apply(wire(announce6(Q1, Q2)))
    rib.apply(wire(Update()))
    return rib


def test_mark_stale_marks_the_chosen_families_and_forgets_their_end_of_rib() -> None:
    rib = loaded()
    assert rib.mark_stale([IPV4_UNICAST, IPV4_MULTICAST]) == 2
    assert all(r.stale for r in rib.routes(IPV4_UNICAST))
    assert not any(r.stale for r in rib.routes(IPV6_UNICAST))
    assert rib.end_of_rib_received == frozenset()
    assert rib.mark_stale() == 2  # only the IPv6 routes were not stale yet
    assert all(r.stale for r in rib)


def test_a_re_announced_route_replaces_its_stale_copy_and_sweeping_removes_the_rest() -> None:
    rib = loaded()
    rib.mark_stale()
    change = rib.apply(wire(announce4(P1)))
    (old, new), = change.replaced
    assert old.stale and not new.stale and old.fresh() == new
    rib.apply(wire(announce6(Q2, attributes=base(med=5))))
    swept = rib.sweep_stale(IPV4_UNICAST)
    assert [r.prefix for r in swept.withdrawn] == [P2] and all(r.stale for r in swept.withdrawn)
    assert rib.counts() == {IPV4_UNICAST: 1, IPV6_UNICAST: 2}
    swept = rib.sweep_stale()
    assert [r.prefix for r in swept.withdrawn] == [Q1]
    assert not any(r.stale for r in rib) and len(rib) == 2
    assert not rib.sweep_stale(IPV4_MULTICAST)
    assert swept.updates == 0 and change.updates == 1  # a sweep is no received UPDATE


def test_a_stale_route_can_be_withdrawn_before_the_sweep() -> None:
    rib = loaded()
    rib.mark_stale([IPV6_UNICAST])
    change = rib.apply(wire(Update(attributes=(MPUnreachNLRI(IPV6_UNICAST, (Q1,)),))))
    assert change.withdrawn[0].stale and rib.count(IPV6_UNICAST) == 1


def test_clear_drops_families_or_everything() -> None:
    rib = loaded()
    change = rib.clear([IPV6_UNICAST, IPV4_MULTICAST])
    assert {r.prefix for r in change.withdrawn} == {Q1, Q2} and rib.counts() == {IPV4_UNICAST: 2}
    assert len(rib.clear().withdrawn) == 2 and len(rib) == 0 and rib.counts() == {}
    assert change.updates == 0


# --- the Route value -------------------------------------------------------------------------


def test_route_attributes_are_sorted_so_arrival_order_does_not_matter() -> None:
    med, path, origin = MultiExitDisc(1), ASPath.from_asns((1,)), Origin(OriginCode.EGP)
    one = Route(IPV4_UNICAST, P1, (med, path, origin), NH4)
    assert one == Route(IPV4_UNICAST, P1, (origin, med, path), NH4)
    assert one.attributes == (origin, path, med)
    assert one.next_hops == (NH4,) and Route(IPV6_UNICAST, Q1, (), NH6, LL6).next_hops == (NH6, LL6)
    assert one.with_attributes((origin,)).attributes == (origin,)
    assert one.fresh() is one


def test_decoded_routes_equal_constructed_ones() -> None:
    attributes = route_attributes_of((NextHop(NH4), MultiExitDisc(1), *base()))
    assert decoded_route(IPV4_UNICAST, P1, attributes, NH4, None) == Route(
        IPV4_UNICAST, P1, (*base(), MultiExitDisc(1)), NH4)


@pytest.mark.parametrize(("args", "message"), [
    ((Family(25, 70), P1, (), NH4), "not a prefix family"),
    ((IPV4_UNICAST, "10.0.0.0/8", (), NH4), "not a prefix"),
    ((IPV6_UNICAST, P1, (), NH6), "not a prefix of"),
    ((IPV4_UNICAST, P1, (), "192.0.2.1"), "not an IP address"),
    ((IPV6_UNICAST, Q1, (), NH4), "IPv4 next hop"),
    ((IPV4_UNICAST, P1, (), NH4, LL6), "link-local"),
    ((IPV6_UNICAST, Q1, (), NH6, NH4), "link-local"),
    ((IPV4_UNICAST, P1, (NextHop(NH4),), NH4), "describes a message"),
    ((IPV4_UNICAST, P1, (MultiExitDisc(1), MultiExitDisc(2)), NH4), "given twice"),
])
def test_route_refuses_what_no_rib_should_hold(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(LocalProtocolError, match=message):
        Route(*args)  # type: ignore[arg-type]


# --- the table's keys ------------------------------------------------------------------------


def test_prefixes_read_off_the_wire_and_built_by_hand_find_the_same_routes() -> None:
    v4 = [IPv4Network("0.0.0.0/0"), IPv4Network("10.0.0.0/7"), IPv4Network("10.0.0.0/31"),
          IPv4Network("10.0.0.1/32"), IPv4Network("192.0.2.128/25")]
    v6 = [IPv6Network("::/0"), IPv6Network("2001:db8::/127"), IPv6Network("2001:db8::1/128")]
    rib = AdjRibIn(LOCAL_AS)
    assert len(rib.apply(wire(announce4(*v4))).announced) == len(v4)
    assert len(rib.apply(wire(announce6(*v6))).announced) == len(v6)
    assert [r.prefix for r in rib.routes()] == [*v4, *v6]
    for prefix in v4:
        assert rib.get(IPV4_UNICAST, prefix) == Route(IPV4_UNICAST, prefix, base(), NH4)
        assert (IPV4_UNICAST, prefix) in rib and (IPV6_UNICAST, prefix) not in rib
    for prefix6 in v6:
        assert rib.get(IPV6_UNICAST, prefix6) == Route(IPV6_UNICAST, prefix6, base(), NH6)
    # ::/0 and 0.0.0.0/0 share value and length, not family; a non-prefix finds nothing
    assert rib.get(IPV4_UNICAST, v6[0]) is None and rib.get(IPV6_UNICAST, v4[0]) is None
    assert rib.get(IPV4_UNICAST, "10.0.0.0/7") is None  # type: ignore[arg-type]
    assert ("x", v4[0]) not in rib and "x" not in rib
    hand = AdjRibIn(LOCAL_AS)
    hand.apply(announce4(*v4))
    assert list(hand.routes()) == list(rib.routes(IPV4_UNICAST))
    assert not hand.apply(wire(announce4(*v4)))  # the same routes again change nothing
    withdrawn = hand.apply(wire(Update(withdrawn=tuple(v4[1:])))).withdrawn
    assert [r.prefix for r in withdrawn] == v4[1:] and len(hand) == 1


def test_add_path_prefixes_are_keyed_by_path_id_too() -> None:
    ctx = Negotiated(add_path=frozenset({IPV4_UNICAST}))
    one, two = PathPrefix(1, P1), PathPrefix(2, P1)
    rib = AdjRibIn(LOCAL_AS)
    change = rib.apply(wire(announce4(one, two), ctx))  # type: ignore[arg-type]
    assert [r.prefix for r in change.announced] == [one, two] and len(rib) == 2
    assert rib.get(IPV4_UNICAST, one) == Route(IPV4_UNICAST, one, base(), NH4)
    assert rib.get(IPV4_UNICAST, P1) is None and [r.prefix for r in rib] == [one, two]
    rib.mark_stale()
    assert [r.prefix for r in rib.sweep_stale().withdrawn] == [one, two]
