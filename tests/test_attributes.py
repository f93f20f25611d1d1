"""Golden vectors for every path attribute, built by hand from the RFCs, and every malformed case.

Each vector is a whole attribute (flags, type, length, value) so that the flags category and
the length computation are checked along with the value codec.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_network

import pytest

from bgpwire.attributes import (
    AIGP,
    ATTRIBUTE_TYPES,
    Aggregator,
    AS4Aggregator,
    AS4Path,
    ASPath,
    ASPathSegment,
    AtomicAggregate,
    ClusterList,
    Communities,
    LargeCommunities,
    LargeCommunity,
    LocalPref,
    MPReachNLRI,
    MPUnreachNLRI,
    MultiExitDisc,
    NextHop,
    Origin,
    OriginatorID,
    PathAttribute,
)
from bgpwire.attributes.policy import MALFORMED_ACTION
from bgpwire.constants import ASPathSegmentType, AttrType, OriginCode, UpdateMessageSubcode
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import ErrorAction, LocalProtocolError, UpdateMessageError
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpwire.prefixes import PathPrefix, PrefixList

TWO = Negotiated(four_octet_as=False)
SEQ = ASPathSegmentType.AS_SEQUENCE
SET = ASPathSegmentType.AS_SET
CSEQ = ASPathSegmentType.AS_CONFED_SEQUENCE
CSET = ASPathSegmentType.AS_CONFED_SET

Sub = UpdateMessageSubcode


def h(text: str) -> bytes:
    """Hex with spaces and ``|`` separators allowed, so vectors can be laid out field by field."""
    return bytes.fromhex(text.replace("|", " "))


def split(attribute: bytes) -> tuple[int, int, bytes]:
    """Flags, type and value of one encoded attribute."""
    flags, code = attribute[0], attribute[1]
    if flags & 0x10:
        return flags, code, attribute[4:]
    return flags, code, attribute[3:]


GOLDEN: list[tuple[str, PathAttribute, Negotiated, bytes]] = [
    # RFC 4271 §4.3 a: well-known (0x40), type 1, length 1, IGP = 0.
    ("origin-igp", Origin(OriginCode.IGP), DEFAULT_CONTEXT, h("40 01 01 | 00")),
    ("origin-incomplete", Origin(OriginCode.INCOMPLETE), DEFAULT_CONTEXT, h("40 01 01 | 02")),
    # RFC 4271 §4.3 b with RFC 6793 4-octet numbers: AS_SEQUENCE (2), 2 ASNs, 65001, 65002.
    ("as-path-4", ASPath.from_asns([65001, 65002]), DEFAULT_CONTEXT,
     h("40 02 0a | 02 02 | 0000fde9 0000fdea")),
    # The same path on a 2-octet session.
    ("as-path-2", ASPath.from_asns([65001, 65002]), TWO, h("40 02 06 | 02 02 | fde9 fdea")),
    # An empty AS_PATH (a route originated inside the AS, RFC 4271 §5.1.2).
    ("as-path-empty", ASPath(()), DEFAULT_CONTEXT, h("40 02 00")),
    # Sequence 65001, set {3 4}, confederation sequence (65010), confederation set [7].
    ("as-path-mixed",
     ASPath((ASPathSegment(SEQ, (65001,)), ASPathSegment(SET, (3, 4)),
             ASPathSegment(CSEQ, (65010,)), ASPathSegment(CSET, (7,)))),
     DEFAULT_CONTEXT,
     h("40 02 1c | 02 01 0000fde9 | 01 02 00000003 00000004 | 03 01 0000fdf2 | 04 01 00000007")),
    # RFC 4271 §4.3 c: NEXT_HOP 192.0.2.1.
    ("next-hop", NextHop(IPv4Address("192.0.2.1")), DEFAULT_CONTEXT, h("40 03 04 | c0000201")),
    # RFC 4271 §4.3 d: MED is optional non-transitive (0x80), 4 octets.
    ("med", MultiExitDisc(100), DEFAULT_CONTEXT, h("80 04 04 | 00000064")),
    # RFC 4271 §4.3 e: LOCAL_PREF well-known.
    ("local-pref", LocalPref(200), DEFAULT_CONTEXT, h("40 05 04 | 000000c8")),
    # RFC 4271 §4.3 f: ATOMIC_AGGREGATE, well-known, empty.
    ("atomic-aggregate", AtomicAggregate(), DEFAULT_CONTEXT, h("40 06 00")),
    # RFC 4271 §4.3 g + RFC 6793 §3: optional transitive (0xc0), AS 65001, 192.0.2.1.
    ("aggregator-4", Aggregator(65001, IPv4Address("192.0.2.1")), DEFAULT_CONTEXT,
     h("c0 07 08 | 0000fde9 | c0000201")),
    ("aggregator-2", Aggregator(65001, IPv4Address("192.0.2.1")), TWO,
     h("c0 07 06 | fde9 | c0000201")),
    # RFC 1997: optional transitive, 65000:100 then NO_EXPORT.
    ("communities", Communities((65000 << 16 | 100, 0xFFFFFF01)), DEFAULT_CONTEXT,
     h("c0 08 08 | fde80064 | ffffff01")),
    # RFC 4456 §8: ORIGINATOR_ID and CLUSTER_LIST are optional non-transitive.
    ("originator-id", OriginatorID(IPv4Address("10.0.0.1")), DEFAULT_CONTEXT,
     h("80 09 04 | 0a000001")),
    ("cluster-list", ClusterList((IPv4Address("10.0.0.1"), IPv4Address("10.0.0.2"))),
     DEFAULT_CONTEXT, h("80 0a 08 | 0a000001 | 0a000002")),
    # RFC 4760 §3: AFI 2, SAFI 1, next-hop length 16, 2001:db8::1, reserved 0,
    # NLRI 2001:db8::/32 (length 32, 4 octets).
    ("mp-reach-v6",
     MPReachNLRI(IPV6_UNICAST, (IPv6Address("2001:db8::1"),), (ip_network("2001:db8::/32"),)),
     DEFAULT_CONTEXT,
     h("80 0e 1a | 0002 01 | 10 20010db8000000000000000000000001 | 00 | 20 20010db8")),
    # Global plus link-local next hop (RFC 2545 §3): next-hop length 32.
    ("mp-reach-v6-ll",
     MPReachNLRI(IPV6_UNICAST, (IPv6Address("2001:db8::1"), IPv6Address("fe80::1")), ()),
     DEFAULT_CONTEXT,
     h("80 0e 25 | 0002 01 | 20 20010db8000000000000000000000001"
       " fe800000000000000000000000000001 | 00")),
    # RFC 8950: IPv4 unicast NLRI 198.51.100.0/24 over an IPv6 next hop.
    ("mp-reach-v4-over-v6",
     MPReachNLRI(IPV4_UNICAST, (IPv6Address("2001:db8::1"),), (ip_network("198.51.100.0/24"),)),
     DEFAULT_CONTEXT,
     h("80 0e 19 | 0001 01 | 10 20010db8000000000000000000000001 | 00 | 18 c63364")),
    # An IPv4 next hop for IPv4 unicast, with ADD-PATH: path identifier 7 before 10.0.0.0/8.
    ("mp-reach-v4-addpath",
     MPReachNLRI(IPV4_UNICAST, (IPv4Address("192.0.2.1"),),
                 (PathPrefix(7, ip_network("10.0.0.0/8")),)),
     Negotiated(add_path=frozenset({IPV4_UNICAST})),
     h("80 0e 0f | 0001 01 | 04 c0000201 | 00 | 00000007 08 0a")),
    # A family bgpwire does not interpret (L2VPN EVPN, 25/70): bytes kept as they are.
    ("mp-reach-evpn",
     MPReachNLRI(Family.of(25, 70), (), (), raw_next_hop=h("c0000201"), raw_nlri=h("0203aabbcc")),
     DEFAULT_CONTEXT, h("80 0e 0e | 0019 46 | 04 c0000201 | 00 | 0203aabbcc")),
    # RFC 4760 §4: withdraw 2001:db8::/32.
    ("mp-unreach-v6", MPUnreachNLRI(IPV6_UNICAST, (ip_network("2001:db8::/32"),)),
     DEFAULT_CONTEXT, h("80 0f 08 | 0002 01 | 20 20010db8")),
    # RFC 4724 §2: End-of-RIB for IPv6 unicast is an MP_UNREACH_NLRI holding only AFI/SAFI.
    ("end-of-rib-v6", MPUnreachNLRI.end_of_rib(IPV6_UNICAST), DEFAULT_CONTEXT,
     h("80 0f 03 | 0002 01")),
    # RFC 6793 §3: AS4_PATH and AS4_AGGREGATOR, optional transitive, always 4 octets.
    ("as4-path", AS4Path.from_asns([65001, 4200000000]), TWO,
     h("c0 11 0a | 02 02 | 0000fde9 fa56ea00")),
    ("as4-aggregator", AS4Aggregator(4200000000, IPv4Address("192.0.2.1")), TWO,
     h("c0 12 08 | fa56ea00 | c0000201")),
    # RFC 7311 §3: optional non-transitive; AIGP TLV type 1, length 11, metric 100.
    ("aigp", AIGP(100), DEFAULT_CONTEXT, h("80 1a 0b | 01 000b 0000000000000064")),
    # An AIGP with an unknown TLV type 5 of value aabb after the AIGP TLV.
    ("aigp-other", AIGP(1, ((5, h("aabb")),)), DEFAULT_CONTEXT,
     h("80 1a 10 | 01 000b 0000000000000001 | 05 0005 aabb")),
    # RFC 8092 §3: optional transitive, 65000:1:2.
    ("large-community", LargeCommunities((LargeCommunity(65000, 1, 2),)), DEFAULT_CONTEXT,
     h("c0 20 0c | 0000fde8 00000001 00000002")),
]


@pytest.mark.parametrize(("name", "value", "ctx", "wire"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_encode(name: str, value: PathAttribute, ctx: Negotiated, wire: bytes) -> None:
    assert value.encode(ctx) == wire


@pytest.mark.parametrize(("name", "value", "ctx", "wire"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_decode(name: str, value: PathAttribute, ctx: Negotiated, wire: bytes) -> None:
    flags, code, body = split(wire)
    cls = ATTRIBUTE_TYPES[code]
    assert flags == cls.CATEGORY  # the flags the RFC prescribes, so ``flags`` stays None
    decoded = cls.decode_value(body, ctx)
    assert decoded == value
    assert decoded.encode(ctx) == wire


def test_registry_covers_every_attribute_type_with_its_own_code() -> None:
    assert set(ATTRIBUTE_TYPES) == set(AttrType)
    for code, cls in ATTRIBUTE_TYPES.items():
        assert code == cls.TYPE
    assert set(MALFORMED_ACTION) == set(ATTRIBUTE_TYPES)


def test_aigp_policy_is_attribute_discard() -> None:
    # RFC 7311 §3: a malformed AIGP is treated like an unrecognised non-transitive attribute.
    assert MALFORMED_ACTION[AttrType.AIGP] is ErrorAction.ATTRIBUTE_DISCARD


def test_long_as_path_uses_extended_length() -> None:
    path = ASPath.from_asns(list(range(1, 101)))  # 2 + 100 * 4 = 402 octets of value
    wire = path.encode(DEFAULT_CONTEXT)
    assert wire[:4] == h("50 02 0192")  # well-known + Extended Length, type 2, length 402
    assert ASPath.decode_value(wire[4:], DEFAULT_CONTEXT) == path


def test_from_asns_splits_runs_longer_than_255() -> None:
    path = ASPath.from_asns(list(range(300)))
    assert [len(s.asns) for s in path.segments] == [255, 45]
    assert path.path_length == 300
    assert path.asns == tuple(range(300))


def test_as_path_views() -> None:
    path = ASPath((ASPathSegment(SEQ, (65001, 65002)), ASPathSegment(SET, (3, 4)),
                   ASPathSegment(CSEQ, (65010,)), ASPathSegment(CSET, (1, 2))))
    assert str(path) == "65001 65002 {3 4} (65010) [1 2]"
    # RFC 4271 §9.1.2.2 a: a set counts one; RFC 5065 §5.3: confederation segments count zero.
    assert path.path_length == 3
    assert path.asns == (65001, 65002, 3, 4, 65010, 1, 2)


def test_origin_str_and_int_coercion() -> None:
    assert str(Origin(OriginCode.EGP)) == "egp"
    assert Origin(2) == Origin(OriginCode.INCOMPLETE)  # type: ignore[arg-type]


def test_prefix_family_nlri_is_lazy_and_reencodes_received_bytes() -> None:
    value = h("0002 01 10 20010db8000000000000000000000001 00 20 20010db8 30 20010db80001")
    decoded = MPReachNLRI.decode_value(value, DEFAULT_CONTEXT)
    assert isinstance(decoded.nlri, PrefixList)
    assert len(decoded.nlri) == 2
    assert decoded.nlri[1] == ip_network("2001:db8:1::/48")
    assert decoded.encode_value(DEFAULT_CONTEXT) == value


def test_mp_reach_keeps_reserved_octet() -> None:
    value = h("0001 01 04 c0000201 07 18 c63364")
    decoded = MPReachNLRI.decode_value(value, DEFAULT_CONTEXT)
    assert decoded.reserved == 7
    assert decoded.encode_value(DEFAULT_CONTEXT) == value


def test_end_of_rib_property() -> None:
    assert MPUnreachNLRI.decode_value(h("0001 01"), DEFAULT_CONTEXT).is_end_of_rib
    assert not MPUnreachNLRI(IPV4_UNICAST, (ip_network("10.0.0.0/8"),)).is_end_of_rib
    assert not MPUnreachNLRI(Family.of(25, 70), (), h("00")).is_end_of_rib
    assert MPUnreachNLRI(Family.of(25, 70)).is_end_of_rib


def test_as4_path_drops_confederation_segments() -> None:
    # RFC 6793 §6: confederation segments in AS4_PATH are discarded and processing goes on.
    value = h("03 01 0000fdf2 | 02 01 fa56ea00")
    decoded = AS4Path.decode_value(value, TWO)
    assert decoded == AS4Path.from_asns([4200000000])
    assert decoded.encode_value(TWO) == h("02 01 fa56ea00")


def test_aigp_first_tlv_wins_and_others_are_kept() -> None:
    # RFC 7311 §3: with more than one AIGP TLV only the first is used.
    value = h("01 000b 0000000000000005 | 01 000b 0000000000000009")
    decoded = AIGP.decode_value(value, DEFAULT_CONTEXT)
    assert decoded.metric == 5
    assert decoded.other_tlvs == ((1, h("0000000000000009")),)
    assert decoded.encode_value(DEFAULT_CONTEXT) == value


def test_aigp_without_metric_tlv() -> None:
    decoded = AIGP.decode_value(h("07 0004 ff"), DEFAULT_CONTEXT)
    assert decoded.metric is None
    assert decoded.other_tlvs == ((7, b"\xff"),)


# --- malformed input: the error class and the RFC 4271 §6.3 subcode ------------------------

MALFORMED: list[tuple[str, type[PathAttribute], Negotiated, bytes, UpdateMessageSubcode]] = [
    ("origin-empty", Origin, DEFAULT_CONTEXT, b"", Sub.ATTRIBUTE_LENGTH_ERROR),
    ("origin-long", Origin, DEFAULT_CONTEXT, h("0000"), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("origin-value-3", Origin, DEFAULT_CONTEXT, h("03"), Sub.INVALID_ORIGIN_ATTRIBUTE),
    ("as-path-header-cut", ASPath, DEFAULT_CONTEXT, h("02"), Sub.MALFORMED_AS_PATH),
    ("as-path-trailing-octet", ASPath, DEFAULT_CONTEXT, h("02 01 00000001 02"),
     Sub.MALFORMED_AS_PATH),
    ("as-path-zero-length", ASPath, DEFAULT_CONTEXT, h("02 00"), Sub.MALFORMED_AS_PATH),
    ("as-path-bad-type-0", ASPath, DEFAULT_CONTEXT, h("00 01 00000001"), Sub.MALFORMED_AS_PATH),
    ("as-path-bad-type-5", ASPath, DEFAULT_CONTEXT, h("05 01 00000001"), Sub.MALFORMED_AS_PATH),
    ("as-path-overrun", ASPath, DEFAULT_CONTEXT, h("02 02 00000001"), Sub.MALFORMED_AS_PATH),
    ("as-path-overrun-2", ASPath, TWO, h("02 02 0001 00"), Sub.MALFORMED_AS_PATH),
    # 4-octet numbers read on a 2-octet session leave the segment count wrong.
    ("as-path-width-mismatch", ASPath, TWO, h("02 02 0000fde9 0000fdea"), Sub.MALFORMED_AS_PATH),
    ("as4-path-overrun", AS4Path, TWO, h("02 02 00000001"), Sub.MALFORMED_AS_PATH),
    ("as4-path-zero-length", AS4Path, TWO, h("02 00"), Sub.MALFORMED_AS_PATH),
    ("next-hop-3", NextHop, DEFAULT_CONTEXT, h("c00002"), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("next-hop-16", NextHop, DEFAULT_CONTEXT, bytes(16), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("med-3", MultiExitDisc, DEFAULT_CONTEXT, h("000000"), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("med-5", MultiExitDisc, DEFAULT_CONTEXT, bytes(5), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("local-pref-0", LocalPref, DEFAULT_CONTEXT, b"", Sub.ATTRIBUTE_LENGTH_ERROR),
    ("atomic-aggregate-1", AtomicAggregate, DEFAULT_CONTEXT, h("00"), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("aggregator-6-on-4", Aggregator, DEFAULT_CONTEXT, bytes(6), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("aggregator-8-on-2", Aggregator, TWO, bytes(8), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("as4-aggregator-6", AS4Aggregator, TWO, bytes(6), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("communities-0", Communities, DEFAULT_CONTEXT, b"", Sub.ATTRIBUTE_LENGTH_ERROR),
    ("communities-5", Communities, DEFAULT_CONTEXT, bytes(5), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("originator-id-5", OriginatorID, DEFAULT_CONTEXT, bytes(5), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("cluster-list-0", ClusterList, DEFAULT_CONTEXT, b"", Sub.ATTRIBUTE_LENGTH_ERROR),
    ("cluster-list-6", ClusterList, DEFAULT_CONTEXT, bytes(6), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("large-0", LargeCommunities, DEFAULT_CONTEXT, b"", Sub.ATTRIBUTE_LENGTH_ERROR),
    ("large-13", LargeCommunities, DEFAULT_CONTEXT, bytes(13), Sub.ATTRIBUTE_LENGTH_ERROR),
    ("aigp-empty", AIGP, DEFAULT_CONTEXT, b"", Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("aigp-header-cut", AIGP, DEFAULT_CONTEXT, h("01 00"), Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("aigp-tlv-length-2", AIGP, DEFAULT_CONTEXT, h("05 0002"), Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("aigp-tlv-overrun", AIGP, DEFAULT_CONTEXT, h("05 0009 aabb"), Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("aigp-tlv-length-10", AIGP, DEFAULT_CONTEXT, h("01 000a 00000000000000"),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("aigp-all-ones", AIGP, DEFAULT_CONTEXT, h("01 000b ffffffffffffffff"),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("mp-reach-4-octets", MPReachNLRI, DEFAULT_CONTEXT, h("000101 04"),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("mp-reach-next-hop-overrun", MPReachNLRI, DEFAULT_CONTEXT, h("000101 04 c0000201"),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("mp-reach-v6-next-hop-4", MPReachNLRI, DEFAULT_CONTEXT, h("000201 04 c0000201 00"),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("mp-reach-v4-next-hop-8", MPReachNLRI, DEFAULT_CONTEXT, h("000101 08 c0000201c0000202 00"),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("mp-reach-v4-next-hop-0", MPReachNLRI, DEFAULT_CONTEXT, h("000101 00 00"),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("mp-reach-prefix-too-long", MPReachNLRI, DEFAULT_CONTEXT, h("000101 04 c0000201 00 21 0a"),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("mp-reach-prefix-cut", MPReachNLRI, DEFAULT_CONTEXT, h("000101 04 c0000201 00 18 0a00"),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("mp-unreach-2-octets", MPUnreachNLRI, DEFAULT_CONTEXT, h("0001"),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
    ("mp-unreach-prefix-129", MPUnreachNLRI, DEFAULT_CONTEXT, h("000201 81" + "00" * 17),
     Sub.OPTIONAL_ATTRIBUTE_ERROR),
]


@pytest.mark.parametrize(("name", "cls", "ctx", "value", "subcode"), MALFORMED,
                         ids=[m[0] for m in MALFORMED])
def test_malformed(name: str, cls: type[PathAttribute], ctx: Negotiated, value: bytes,
                   subcode: UpdateMessageSubcode) -> None:
    with pytest.raises(UpdateMessageError) as caught:
        cls.decode_value(value, ctx)
    assert caught.value.subcode == subcode
    assert caught.value.data == value  # the value field; the UPDATE decoder adds the header
    assert caught.value.reason


# --- constructors refuse what cannot be encoded -------------------------------------------

REFUSED = [
    ("origin-3", lambda: Origin(3)),  # type: ignore[arg-type]
    ("segment-empty", lambda: ASPathSegment(SEQ, ())),
    ("segment-256", lambda: ASPathSegment(SEQ, tuple(range(256)))),
    ("segment-type-9", lambda: ASPathSegment(9, (1,))),  # type: ignore[arg-type]
    ("segment-asn-2**32", lambda: ASPathSegment(SEQ, (2**32,))),
    ("as4-path-confed", lambda: AS4Path((ASPathSegment(CSEQ, (1,)),))),
    ("med-negative", lambda: MultiExitDisc(-1)),
    ("local-pref-2**32", lambda: LocalPref(2**32)),
    ("aggregator-asn", lambda: Aggregator(2**32, IPv4Address("192.0.2.1"))),
    ("next-hop-v6", lambda: NextHop(IPv6Address("::1"))),  # type: ignore[arg-type]
    ("communities-empty", lambda: Communities(())),
    ("communities-2**32", lambda: Communities((2**32,))),
    ("cluster-list-empty", lambda: ClusterList(())),
    ("large-empty", lambda: LargeCommunities(())),
    ("large-2**32", lambda: LargeCommunities((LargeCommunity(2**32, 0, 0),))),
    ("aigp-all-ones", lambda: AIGP(2**64 - 1)),
    ("aigp-no-tlv", lambda: AIGP(None)),
    ("aigp-tlv-type-256", lambda: AIGP(1, ((256, b""),))),
    ("mp-reach-v6-with-v4-next-hop",
     lambda: MPReachNLRI(IPV6_UNICAST, (IPv4Address("192.0.2.1"),), ())),
    ("mp-reach-three-next-hops",
     lambda: MPReachNLRI(IPV6_UNICAST, (IPv6Address("::1"),) * 3, ())),
    ("mp-reach-v4-family-v6-prefix",
     lambda: MPReachNLRI(IPV4_UNICAST, (IPv4Address("192.0.2.1"),),
                         (ip_network("2001:db8::/32"),))),
    ("mp-reach-raw-for-prefix-family",
     lambda: MPReachNLRI(IPV4_UNICAST, (IPv4Address("192.0.2.1"),), (), raw_nlri=b"\x00")),
    ("mp-reach-next-hops-for-other-family",
     lambda: MPReachNLRI(Family.of(25, 70), (IPv4Address("192.0.2.1"),), ())),
    ("mp-reach-reserved-256",
     lambda: MPReachNLRI(IPV4_UNICAST, (IPv4Address("192.0.2.1"),), (), reserved=256)),
    ("mp-unreach-v6-prefix-in-v4",
     lambda: MPUnreachNLRI(IPV4_UNICAST, (ip_network("2001:db8::/32"),))),
    ("mp-unreach-afi-65536", lambda: MPUnreachNLRI(Family(65536, 1))),
]


@pytest.mark.parametrize(("name", "build"), REFUSED, ids=[r[0] for r in REFUSED])
def test_constructor_refuses(name: str, build: object) -> None:
    assert callable(build)
    with pytest.raises(LocalProtocolError):
        build()


def test_two_octet_session_refuses_large_asns() -> None:
    with pytest.raises(LocalProtocolError, match="AS_TRANS"):
        ASPath.from_asns([65001, 4200000000]).encode_value(TWO)
    with pytest.raises(LocalProtocolError, match="AS_TRANS"):
        Aggregator(4200000000, IPv4Address("192.0.2.1")).encode_value(TWO)


def test_mp_prefix_family_requires_path_ids_under_add_path() -> None:
    ctx = Negotiated(add_path=frozenset({IPV4_UNICAST}))
    plain = MPReachNLRI(IPV4_UNICAST, (IPv4Address("192.0.2.1"),), (ip_network("10.0.0.0/8"),))
    with pytest.raises(LocalProtocolError):
        plain.encode_value(ctx)


def test_decoded_values_are_shared_but_immutable() -> None:
    first = ASPath.decode_value(h("02 01 00000001"), DEFAULT_CONTEXT)
    second = ASPath.decode_value(h("02 01 00000001"), DEFAULT_CONTEXT)
    assert first == second
    with pytest.raises(AttributeError):
        first.segments = ()  # type: ignore[misc]
    # The two widths never share a decoded value: the same octets mean different paths.
    assert ASPath.decode_value(h("02 02 00000001"), TWO) == ASPath.from_asns([0, 1])


def test_with_flags_keeps_fields_and_sets_flags() -> None:
    reach = MPReachNLRI(IPV6_UNICAST, (IPv6Address("2001:db8::1"),), (ip_network("2001:db8::/32"),))
    unreach = MPUnreachNLRI(IPV6_UNICAST, (ip_network("2001:db8::/32"),))
    for value in (reach, unreach, ASPath.from_asns([1])):
        flagged = value.with_flags(0x90)  # optional + Extended Length on a short value
        assert flagged.flags == 0x90
        assert value.flags is None
        assert flagged.encode(DEFAULT_CONTEXT)[0] == 0x90
        assert flagged.with_flags(None) == value
