"""Hypothesis strategies for every path attribute class bgpwire decodes.

Every value drawn is valid for its class and, encoded with :data:`DEFAULT_CONTEXT` (4-octet AS
numbers, no ADD-PATH), survives ``decode(encode(x)) == x``. Strategies that depend on the
session take the relevant switch as a parameter.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from hypothesis import strategies as st

from bgpwire.attributes import (
    AIGP,
    Aggregator,
    AS4Aggregator,
    AS4Path,
    ASPath,
    ASPathSegment,
    AtomicAggregate,
    ClusterList,
    Communities,
    Encapsulation,
    ExtendedCommunities,
    ExtendedCommunity,
    LargeCommunities,
    LargeCommunity,
    LinkBandwidth,
    LocalPref,
    MPReachNLRI,
    MPUnreachNLRI,
    MultiExitDisc,
    NextHop,
    Origin,
    OriginatorID,
    PathAttribute,
    RawExtendedCommunity,
    RouteOrigin,
    RouteTarget,
)
from bgpwire.constants import ASPathSegmentType, OriginCode
from bgpwire.families import (
    IPV4_MULTICAST,
    IPV4_UNICAST,
    IPV6_MULTICAST,
    IPV6_UNICAST,
    PREFIX_FAMILIES,
    Family,
)
from bgpwire.prefixes import NLRIItem, PathPrefix

U16 = st.integers(0, 0xFFFF)
U32 = st.integers(0, 0xFFFFFFFF)

CONFED_TYPES = (ASPathSegmentType.AS_CONFED_SEQUENCE, ASPathSegmentType.AS_CONFED_SET)
PLAIN_TYPES = (ASPathSegmentType.AS_SEQUENCE, ASPathSegmentType.AS_SET)

# (type & ~0x40, sub-type) pairs that decode to a typed extended community, per RFC 4360,
# RFC 5668, RFC 9012 and the link bandwidth draft; raw values are drawn outside them.
TYPED_EXTENDED = frozenset({(0x00, 0x02), (0x00, 0x03), (0x01, 0x02), (0x01, 0x03), (0x02, 0x02),
                            (0x02, 0x03), (0x00, 0x04), (0x03, 0x0C)})


def ipv4_addresses() -> st.SearchStrategy[IPv4Address]:
    return U32.map(IPv4Address)


def ipv6_addresses() -> st.SearchStrategy[IPv6Address]:
    return st.integers(0, 2**128 - 1).map(IPv6Address)


def segments(
    types: tuple[ASPathSegmentType, ...] = PLAIN_TYPES + CONFED_TYPES,
    asns: st.SearchStrategy[int] = U32,
) -> st.SearchStrategy[ASPathSegment]:
    return st.builds(ASPathSegment, st.sampled_from(types),
                     st.lists(asns, min_size=1, max_size=12).map(tuple))


def as_paths(two_octet: bool = False) -> st.SearchStrategy[ASPath]:
    asns = U16 if two_octet else U32
    return st.lists(segments(asns=asns), max_size=5).map(lambda s: ASPath(tuple(s)))


def as4_paths() -> st.SearchStrategy[AS4Path]:
    return st.lists(segments(PLAIN_TYPES), max_size=5).map(lambda s: AS4Path(tuple(s)))


def origins() -> st.SearchStrategy[Origin]:
    return st.sampled_from(OriginCode).map(Origin)


def next_hops() -> st.SearchStrategy[NextHop]:
    return ipv4_addresses().map(NextHop)


def multi_exit_discs() -> st.SearchStrategy[MultiExitDisc]:
    return U32.map(MultiExitDisc)


def local_prefs() -> st.SearchStrategy[LocalPref]:
    return U32.map(LocalPref)


def atomic_aggregates() -> st.SearchStrategy[AtomicAggregate]:
    return st.just(AtomicAggregate())


def aggregators(two_octet: bool = False) -> st.SearchStrategy[Aggregator]:
    return st.builds(Aggregator, U16 if two_octet else U32, ipv4_addresses())


def as4_aggregators() -> st.SearchStrategy[AS4Aggregator]:
    return st.builds(AS4Aggregator, U32, ipv4_addresses())


def originator_ids() -> st.SearchStrategy[OriginatorID]:
    return ipv4_addresses().map(OriginatorID)


def cluster_lists() -> st.SearchStrategy[ClusterList]:
    ids = st.lists(ipv4_addresses(), min_size=1, max_size=8)
    return ids.map(lambda v: ClusterList(tuple(v)))


def aigps() -> st.SearchStrategy[AIGP]:
    others = st.lists(st.tuples(st.integers(2, 255), st.binary(max_size=16)), max_size=3)
    metric = st.integers(0, 2**64 - 2)
    with_metric = st.builds(lambda m, o: AIGP(m, tuple(o)), metric, others)
    without = st.builds(lambda o: AIGP(None, tuple(o)),
                        st.lists(st.tuples(st.integers(2, 255), st.binary(max_size=16)),
                                 min_size=1, max_size=3))
    return st.one_of(with_metric, without)


def communities() -> st.SearchStrategy[Communities]:
    return st.lists(U32, min_size=1, max_size=20).map(lambda v: Communities(tuple(v)))


def large_communities() -> st.SearchStrategy[LargeCommunities]:
    one = st.builds(LargeCommunity, U32, U32, U32)
    return st.lists(one, min_size=1, max_size=8).map(lambda v: LargeCommunities(tuple(v)))


def _admin(cls: type[RouteTarget] | type[RouteOrigin]) -> st.SearchStrategy[ExtendedCommunity]:
    transitive = st.booleans()
    return st.one_of(
        st.builds(lambda g, local, t: cls(g, local, transitive=t), U16, U32, transitive),
        st.builds(lambda g, local, t: cls(g, local, transitive=t), ipv4_addresses(), U16,
                  transitive),
        st.builds(lambda g, local, t: cls(g, local, four_octet_as=True, transitive=t), U32, U16,
                  transitive),
    )


def extended_community_values() -> st.SearchStrategy[ExtendedCommunity]:
    raw = st.builds(RawExtendedCommunity, st.integers(0, 255), st.integers(0, 255),
                    st.binary(min_size=6, max_size=6)).filter(
        lambda c: (c.type & ~0x40, c.subtype) not in TYPED_EXTENDED)
    bandwidth = st.floats(min_value=0, width=32, allow_nan=False,
                          allow_infinity=False).filter(lambda f: str(f)[0] != "-")
    return st.one_of(
        _admin(RouteTarget),
        _admin(RouteOrigin),
        st.builds(lambda a, b, t: LinkBandwidth(a, b, transitive=t), U16, bandwidth, st.booleans()),
        st.builds(lambda t, tr: Encapsulation(t, transitive=tr), U16, st.booleans()),
        raw,
    )


def extended_communities() -> st.SearchStrategy[ExtendedCommunities]:
    return st.lists(extended_community_values(), min_size=1, max_size=6).map(
        lambda v: ExtendedCommunities(tuple(v)))


def prefixes(version: int) -> st.SearchStrategy[IPv4Network | IPv6Network]:
    bits = 32 if version == 4 else 128
    network = IPv4Network if version == 4 else IPv6Network

    def build(value: int, length: int) -> IPv4Network | IPv6Network:
        mask = ((1 << length) - 1) << (bits - length)
        return network((value & mask, length))

    return st.builds(build, st.integers(0, 2**bits - 1), st.integers(0, bits))


def nlri_items(family: Family, add_path: bool) -> st.SearchStrategy[tuple[NLRIItem, ...]]:
    version = 4 if family.afi == 1 else 6
    item: st.SearchStrategy[NLRIItem] = prefixes(version)
    if add_path:
        item = st.builds(PathPrefix, U32, prefixes(version))
    return st.lists(item, max_size=10).map(tuple)


def _family_next_hops(family: Family) -> st.SearchStrategy[tuple[IPv4Address | IPv6Address, ...]]:
    v6 = st.one_of(ipv6_addresses().map(lambda a: (a,)),
                   st.tuples(ipv6_addresses(), ipv6_addresses()))
    if family.afi == 1:
        return st.one_of(ipv4_addresses().map(lambda a: (a,)), v6)
    return v6


OTHER_FAMILIES = st.builds(Family.of, st.integers(0, 0xFFFF), st.integers(0, 255)).filter(
    lambda f: f not in PREFIX_FAMILIES)


def mp_reach_nlris(add_path: bool = False) -> st.SearchStrategy[MPReachNLRI]:
    prefix_family = st.sampled_from([IPV4_UNICAST, IPV4_MULTICAST, IPV6_UNICAST, IPV6_MULTICAST])
    reserved = st.integers(0, 255)
    typed = prefix_family.flatmap(lambda f: st.builds(
        MPReachNLRI, st.just(f), _family_next_hops(f), nlri_items(f, add_path),
        reserved=reserved))
    raw = st.builds(lambda f, nh, nlri, r: MPReachNLRI(f, (), (), nh, nlri, r),
                    OTHER_FAMILIES, st.binary(max_size=40), st.binary(max_size=60), reserved)
    return st.one_of(typed, raw)


def mp_unreach_nlris(add_path: bool = False) -> st.SearchStrategy[MPUnreachNLRI]:
    prefix_family = st.sampled_from([IPV4_UNICAST, IPV4_MULTICAST, IPV6_UNICAST, IPV6_MULTICAST])
    typed = prefix_family.flatmap(
        lambda f: st.builds(MPUnreachNLRI, st.just(f), nlri_items(f, add_path)))
    raw = st.builds(lambda f, w: MPUnreachNLRI(f, (), w), OTHER_FAMILIES, st.binary(max_size=60))
    return st.one_of(typed, raw)


def path_attributes() -> st.SearchStrategy[PathAttribute]:
    """Any attribute bgpwire has a class for, valid under DEFAULT_CONTEXT."""
    return st.one_of(
        origins(), as_paths(), next_hops(), multi_exit_discs(), local_prefs(),
        atomic_aggregates(), aggregators(), communities(), originator_ids(), cluster_lists(),
        mp_reach_nlris(), mp_unreach_nlris(), extended_communities(), as4_paths(),
        as4_aggregators(), aigps(), large_communities(),
    )
