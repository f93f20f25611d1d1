"""Building route attributes, the eBGP/iBGP sending rules, and Graceful Restart decisions."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import pytest

from bgpwire.attributes import (
    AIGP,
    ASPath,
    ASPathSegment,
    ClusterList,
    Communities,
    ExtendedCommunities,
    LargeCommunities,
    LargeCommunity,
    LocalPref,
    MultiExitDisc,
    Origin,
    OriginatorID,
    PathAttribute,
    RouteTarget,
    UnknownAttribute,
)
from bgpwire.attributes.base import OPTIONAL_NON_TRANSITIVE, OPTIONAL_TRANSITIVE, PARTIAL
from bgpwire.constants import ASPathSegmentType, CeaseSubcode, ErrorCode, OriginCode
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpwire.fsm.negotiate import Negotiation, negotiate
from bgpwire.messages import Notification, Open
from bgpwire.messages.capabilities import (
    Capability,
    GracefulRestartCapability,
    GracefulRestartFamily,
    MultiprotocolCapability,
)
from bgpwire.rib import (
    DEFAULT_LOCAL_PREF,
    Route,
    may_advertise,
    prepend_as,
    propagated,
    restart_deadline,
    retained_families,
    route_attributes,
    to_external,
    to_internal,
    unpreserved_families,
)

SEQ = ASPathSegmentType.AS_SEQUENCE
SET = ASPathSegmentType.AS_SET
CONFED = ASPathSegmentType.AS_CONFED_SEQUENCE
LOCAL_AS = 65000
NH4 = IPv4Address("192.0.2.1")
SELF4 = IPv4Address("198.51.100.1")
SELF6 = IPv6Address("2001:db8::ff")
LL6 = IPv6Address("fe80::ff")
PREFIX = IPv4Network("203.0.113.0/24")


def route(*attributes: PathAttribute) -> Route:
    return Route(IPV4_UNICAST, PREFIX, attributes, NH4)


# --- route_attributes ------------------------------------------------------------------------


def test_route_attributes_builds_every_attribute_in_type_code_order() -> None:
    large = LargeCommunity(65000, 1, 2)
    target = RouteTarget(65000, 7)
    attributes = route_attributes(
        origin=OriginCode.INCOMPLETE, as_path=[65001, 65002], med=5, local_pref=200,
        communities=[0xFDE80001], large_communities=[large], extended_communities=[target],
        others=[OriginatorID(NH4)],
    )
    assert attributes == (
        Origin(OriginCode.INCOMPLETE), ASPath.from_asns((65001, 65002)), MultiExitDisc(5),
        LocalPref(200), Communities((0xFDE80001,)), OriginatorID(NH4),
        ExtendedCommunities((target,)), LargeCommunities((large,)),
    )


def test_route_attributes_minimum_is_origin_and_an_empty_path() -> None:
    assert route_attributes() == (Origin(OriginCode.IGP), ASPath(()))
    path = ASPath((ASPathSegment(SET, (1, 2)),))
    assert route_attributes(as_path=path)[1] is path


# --- prepend_as (RFC 4271 §5.1.2) -----------------------------------------------------------


@pytest.mark.parametrize(("before", "times", "after"), [
    (None, 1, ASPath.from_asns((LOCAL_AS,))),
    (ASPath(()), 2, ASPath.from_asns((LOCAL_AS, LOCAL_AS))),
    (ASPath.from_asns((1, 2)), 1, ASPath.from_asns((LOCAL_AS, 1, 2))),
    (ASPath((ASPathSegment(SET, (1, 2)),)), 1,
     ASPath((ASPathSegment(SEQ, (LOCAL_AS,)), ASPathSegment(SET, (1, 2))))),
    (ASPath.from_asns(tuple(range(1, 256))), 1,
     ASPath((ASPathSegment(SEQ, (LOCAL_AS,)), ASPathSegment(SEQ, tuple(range(1, 256)))))),
    (ASPath.from_asns(tuple(range(1, 255))), 2,
     ASPath((ASPathSegment(SEQ, (LOCAL_AS,)),
             ASPathSegment(SEQ, (LOCAL_AS, *range(1, 255)))))),
], ids=["none", "empty", "sequence", "set-first", "full-sequence", "fills-then-overflows"])
def test_prepend_as(before: ASPath | None, times: int, after: ASPath) -> None:
    assert prepend_as(before, LOCAL_AS, times) == after


# --- eBGP -----------------------------------------------------------------------------------


def test_to_external_prepends_sets_next_hop_and_drops_what_stays_inside_the_as() -> None:
    learned = route(Origin(OriginCode.IGP), ASPath.from_asns((65010,)), MultiExitDisc(50),
                    LocalPref(300), OriginatorID(NH4), ClusterList((NH4,)), AIGP(10),
                    Communities((1,)))
    sent = to_external(learned, local_as=LOCAL_AS, next_hop=SELF4)
    assert sent == Route(IPV4_UNICAST, PREFIX, (
        Origin(OriginCode.IGP), ASPath.from_asns((LOCAL_AS, 65010)), Communities((1,))), SELF4)


def test_to_external_sets_our_own_med_and_ipv6_next_hops() -> None:
    learned = Route(IPV6_UNICAST, IPv6Network("2001:db8:1::/48"),
                    (Origin(OriginCode.IGP), ASPath(()), MultiExitDisc(50)), SELF6)
    sent = to_external(learned, local_as=LOCAL_AS, next_hop=SELF6, link_local=LL6, med=5)
    assert sent.attr(MultiExitDisc) == MultiExitDisc(5)
    assert sent.attr(ASPath) == ASPath.from_asns((LOCAL_AS,))
    assert sent.next_hops == (SELF6, LL6)


def test_to_external_removes_confederation_segments_before_prepending() -> None:
    path = ASPath((ASPathSegment(CONFED, (64512, 64513)), ASPathSegment(SEQ, (65010,))))
    sent = to_external(route(Origin(OriginCode.IGP), path), local_as=LOCAL_AS, next_hop=SELF4)
    assert sent.attr(ASPath) == ASPath.from_asns((LOCAL_AS, 65010))


def test_to_external_gives_a_route_without_as_path_one() -> None:
    sent = to_external(route(Origin(OriginCode.IGP)), local_as=LOCAL_AS, next_hop=SELF4)
    assert sent.attr(ASPath) == ASPath.from_asns((LOCAL_AS,))


# --- iBGP -----------------------------------------------------------------------------------


def test_to_internal_adds_local_pref_and_keeps_path_med_and_next_hop() -> None:
    learned = route(Origin(OriginCode.IGP), ASPath.from_asns((65010,)), MultiExitDisc(50))
    sent = to_internal(learned)
    assert sent.attr(LocalPref) == LocalPref(DEFAULT_LOCAL_PREF)
    assert sent.attr(ASPath) == ASPath.from_asns((65010,))
    assert sent.attr(MultiExitDisc) == MultiExitDisc(50) and sent.next_hop == NH4
    assert to_internal(learned, local_pref=250).attr(LocalPref) == LocalPref(250)


def test_to_internal_keeps_an_existing_local_pref_and_can_set_next_hop_self() -> None:
    learned = route(Origin(OriginCode.IGP), ASPath(()), LocalPref(300))
    assert to_internal(learned) is learned
    sent = to_internal(learned, next_hop=SELF4)
    assert sent.next_hop == SELF4 and sent.attr(LocalPref) == LocalPref(300)


# --- unrecognised attributes and split horizon -----------------------------------------------


def test_propagated_drops_unknown_non_transitive_and_marks_transitive_partial() -> None:
    transitive = UnknownAttribute(code=200, value=b"x")
    local = UnknownAttribute(code=201, value=b"y", flags=OPTIONAL_NON_TRANSITIVE)
    passed = propagated(route(Origin(OriginCode.IGP), transitive, local))
    assert passed.attributes == (
        Origin(OriginCode.IGP),
        UnknownAttribute(code=200, value=b"x", flags=OPTIONAL_TRANSITIVE | PARTIAL))
    plain = route(Origin(OriginCode.IGP))
    assert propagated(plain) is plain


@pytest.mark.parametrize(("learned_internally", "to_internal_peer", "allowed"), [
    (False, False, True), (False, True, True), (True, False, True), (True, True, False)])
def test_ibgp_split_horizon(learned_internally: bool, to_internal_peer: bool,
                            allowed: bool) -> None:
    assert may_advertise(learned_internally=learned_internally,
                         to_internal_peer=to_internal_peer) is allowed


# --- Graceful Restart decisions (RFC 4724 §4.2, RFC 8538) ------------------------------------


def gr(*families: tuple[Family, bool], notification: bool = True) -> GracefulRestartCapability:
    entries = tuple(GracefulRestartFamily(f, kept) for f, kept in families)
    return GracefulRestartCapability(False, notification, 120, entries)


def session(ours: GracefulRestartCapability | None,
            theirs: GracefulRestartCapability | None) -> Negotiation:
    def build(asn: int, ident: str, cap: GracefulRestartCapability | None) -> Open:
        caps: tuple[Capability, ...] = (MultiprotocolCapability(IPV4_UNICAST),
                                        MultiprotocolCapability(IPV6_UNICAST))
        return Open.build(asn=asn, hold_time=90, bgp_identifier=ident,
                          capabilities=caps if cap is None else (*caps, cap))

    return negotiate(build(LOCAL_AS, "192.0.2.1", ours), build(65001, "192.0.2.2", theirs))


BOTH = ((IPV4_UNICAST, True), (IPV6_UNICAST, False))


def test_retained_families_are_those_the_peer_listed() -> None:
    assert retained_families(session(gr(*BOTH), gr((IPV6_UNICAST, True)))) == (IPV6_UNICAST,)
    assert retained_families(session(gr(*BOTH), gr(*BOTH))) == (IPV4_UNICAST, IPV6_UNICAST)
    assert retained_families(session(None, gr(*BOTH))) == ()
    assert retained_families(session(gr(*BOTH), None)) == ()


def test_after_a_notification_routes_are_kept_only_with_both_n_bits_and_no_hard_reset() -> None:
    cease = Notification(ErrorCode.CEASE, CeaseSubcode.ADMINISTRATIVE_RESET)
    hard = Notification(ErrorCode.CEASE, CeaseSubcode.HARD_RESET)
    both = session(gr(*BOTH), gr(*BOTH))
    assert retained_families(both, cease) == (IPV4_UNICAST, IPV6_UNICAST)
    assert retained_families(both, hard) == ()
    assert retained_families(session(gr(*BOTH), gr(*BOTH, notification=False)), cease) == ()
    assert retained_families(session(gr(*BOTH, notification=False), gr(*BOTH)), cease) == ()


def test_restart_deadline_counts_the_peers_restart_time_from_now() -> None:
    assert restart_deadline(session(gr(*BOTH), gr(*BOTH)), 1000.0) == 1120.0
    assert restart_deadline(session(gr(*BOTH), None), 1000.0) is None


def test_families_without_forwarding_state_are_swept_at_once() -> None:
    stale = (IPV4_UNICAST, IPV6_UNICAST)
    assert unpreserved_families(session(gr(*BOTH), gr(*BOTH)), stale) == (IPV6_UNICAST,)
    assert unpreserved_families(session(gr(*BOTH), gr((IPV6_UNICAST, True))), stale) == (
        IPV4_UNICAST,)
    assert unpreserved_families(session(gr(*BOTH), None), stale) == stale
