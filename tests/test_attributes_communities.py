"""Communities, large communities and extended communities: values, text forms, wire forms."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from bgpwire.attributes import (
    Communities,
    Encapsulation,
    ExtendedCommunities,
    ExtendedCommunity,
    LargeCommunities,
    LargeCommunity,
    LinkBandwidth,
    RawExtendedCommunity,
    RouteOrigin,
    RouteTarget,
    WellKnownCommunity,
    format_community,
    parse_community,
    parse_extended_community,
)
from bgpwire.context import DEFAULT_CONTEXT
from bgpwire.errors import LocalProtocolError


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace("|", " "))


# --- RFC 1997 communities --------------------------------------------------------------------

def test_well_known_values_match_iana() -> None:
    assert {c.name: int(c) for c in WellKnownCommunity} == {
        "GRACEFUL_SHUTDOWN": 0xFFFF0000,  # RFC 8326
        "ACCEPT_OWN": 0xFFFF0001,  # RFC 7611
        "LLGR_STALE": 0xFFFF0006,  # RFC 9494
        "NO_LLGR": 0xFFFF0007,  # RFC 9494
        "BLACKHOLE": 0xFFFF029A,  # RFC 7999
        "NO_EXPORT": 0xFFFFFF01,  # RFC 1997
        "NO_ADVERTISE": 0xFFFFFF02,  # RFC 1997
        "NO_EXPORT_SUBCONFED": 0xFFFFFF03,  # RFC 1997
        "NO_PEER": 0xFFFFFF04,  # RFC 3765
    }


@pytest.mark.parametrize(("value", "text"), [
    (65000 << 16 | 100, "65000:100"),
    (0, "0:0"),
    (0xFFFFFFFF, "65535:65535"),
    (0xFFFFFF01, "no-export"),
    (0xFFFFFF02, "no-advertise"),
    (0xFFFFFF03, "no-export-subconfed"),
    (0xFFFFFF04, "no-peer"),
    (0xFFFF0000, "graceful-shutdown"),
    (0xFFFF029A, "blackhole"),
    (0xFFFF0006, "llgr-stale"),
])
def test_format_and_parse_community(value: int, text: str) -> None:
    assert format_community(value) == text
    assert parse_community(text) == value


def test_parse_community_accepts_enum_style_names() -> None:
    assert parse_community("NO_EXPORT") == WellKnownCommunity.NO_EXPORT
    assert parse_community(" 1:2 ") == 65538


@pytest.mark.parametrize("text", ["", "65536:1", "1:65536", "1", "a:b", "1:2:3", "no-such", "-1:2"])
def test_parse_community_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("[", r"\[")):
        parse_community(text)


def test_communities_str_and_contains() -> None:
    value = Communities((65000 << 16 | 100, WellKnownCommunity.NO_EXPORT))
    assert str(value) == "65000:100 no-export"
    assert WellKnownCommunity.NO_EXPORT in value
    assert WellKnownCommunity.NO_ADVERTISE not in value


def test_communities_keep_order_and_duplicates() -> None:
    wire = h("00010002 00010002 00000001")
    decoded = Communities.decode_value(wire, DEFAULT_CONTEXT)
    assert decoded.values == (65538, 65538, 1)
    assert decoded.encode_value(DEFAULT_CONTEXT) == wire


def test_many_communities_round_trip() -> None:
    value = Communities(tuple(range(1000)))  # beyond the precompiled unpackers
    assert Communities.decode_value(value.encode_value(DEFAULT_CONTEXT), DEFAULT_CONTEXT) == value


# --- RFC 8092 large communities --------------------------------------------------------------

def test_large_community_text() -> None:
    value = LargeCommunity(4200000000, 1, 2)
    assert str(value) == "4200000000:1:2"
    assert LargeCommunity.parse("4200000000:1:2") == value


@pytest.mark.parametrize("text", ["1:2", "1:2:3:4", "4294967296:0:0", "a:b:c", "1:-2:3", ""])
def test_large_community_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a large community"):
        LargeCommunity.parse(text)


def test_large_communities_accept_plain_tuples() -> None:
    value = LargeCommunities(((1, 2, 3),))  # type: ignore[arg-type]
    assert value.values == (LargeCommunity(1, 2, 3),)
    assert type(value.values[0]) is LargeCommunity
    assert str(value) == "1:2:3"


# --- RFC 4360 extended communities -----------------------------------------------------------

EXTENDED = [
    # type 0x00 (2-octet AS), sub-type 0x02 (route target), AS 65000, local 100
    (RouteTarget(65000, 100), "rt 65000:100", h("00 02 | fde8 | 00000064")),
    # type 0x01 (IPv4), sub-type 0x03 (route origin), 192.0.2.1, local 5
    (RouteOrigin(IPv4Address("192.0.2.1"), 5), "ro 192.0.2.1:5", h("01 03 | c0000201 | 0005")),
    # RFC 5668: type 0x02 (4-octet AS), sub-type 0x02, AS 4200000000, local 7
    (RouteTarget(4200000000, 7, four_octet_as=True), "rt 4200000000:7",
     h("02 02 | fa56ea00 | 0007")),
    # A small AS in the 4-octet form keeps its form through text with the L suffix.
    (RouteTarget(65000, 7, four_octet_as=True), "rt 65000L:7", h("02 02 | 0000fde8 | 0007")),
    # The non-transitive bit (0x40) on a route target.
    (RouteTarget(65000, 100, transitive=False), "rt 65000:100 non-transitive",
     h("40 02 | fde8 | 00000064")),
    # Link bandwidth: type 0x40, sub-type 0x04, AS 65000, 1.25e9 octets/s as float32 0x4e9502f9.
    (LinkBandwidth(65000, 1.25e9), "link-bandwidth 65000:1250000000.0",
     h("40 04 | fde8 | 4e9502f9")),
    (LinkBandwidth(1, 0.0, transitive=True), "link-bandwidth 1:0.0 transitive",
     h("00 04 | 0001 | 00000000")),
    # RFC 9012 §4.1: opaque type 0x03, sub-type 0x0c, 4 reserved octets, tunnel type 8 (VXLAN).
    (Encapsulation(8), "encap 8", h("03 0c | 00000000 | 0008")),
    # Flow-spec traffic-rate (0x80 0x06) is not typed here: kept raw.
    (RawExtendedCommunity(0x80, 0x06, bytes(6)), "raw 80:06:000000000000",
     h("80 06 | 000000000000")),
]


@pytest.mark.parametrize(("value", "text", "wire"), EXTENDED, ids=[e[1] for e in EXTENDED])
def test_extended_community_forms(value: ExtendedCommunity, text: str, wire: bytes) -> None:
    assert value.encode() == wire
    assert ExtendedCommunity.decode(wire) == value
    assert str(value) == text
    assert parse_extended_community(text) == value
    assert value.is_transitive == (not wire[0] & 0x40)


def test_extended_communities_attribute() -> None:
    wire = h("c0 10 10 | 0002fde800000064 | 030c000000000008")
    value = ExtendedCommunities((RouteTarget(65000, 100), Encapsulation(8)))
    assert value.encode(DEFAULT_CONTEXT) == wire
    assert ExtendedCommunities.decode_value(wire[3:], DEFAULT_CONTEXT) == value
    assert str(value) == "rt 65000:100 encap 8"


@pytest.mark.parametrize("wire", [
    h("030c 00000001 0008"),  # encapsulation with a non-zero reserved field
    h("4004 fde8 bf800000"),  # link bandwidth -1.0
    h("4004 fde8 80000000"),  # link bandwidth -0.0
    h("4004 fde8 7fc00000"),  # link bandwidth NaN
    h("4004 fde8 7f800000"),  # link bandwidth +infinity
])
def test_untypable_values_stay_raw_and_exact(wire: bytes) -> None:
    decoded = ExtendedCommunity.decode(wire)
    assert isinstance(decoded, RawExtendedCommunity)
    assert decoded.encode() == wire


def test_link_bandwidth_rounds_to_float32() -> None:
    value = LinkBandwidth(1, 0.1)
    assert value.bandwidth != 0.1
    assert abs(value.bandwidth - 0.1) < 1e-8
    assert ExtendedCommunity.decode(value.encode()) == value


@pytest.mark.parametrize("build", [
    lambda: RouteTarget(65536, 1),  # 2-octet AS form
    lambda: RouteTarget(1, 2**32),
    lambda: RouteTarget(1, 65536, four_octet_as=True),
    lambda: RouteTarget(IPv4Address("192.0.2.1"), 65536),
    lambda: RouteTarget(IPv4Address("192.0.2.1"), 1, four_octet_as=True),
    lambda: RouteOrigin("65000", 1),  # type: ignore[arg-type]
    lambda: LinkBandwidth(65536, 1.0),
    lambda: LinkBandwidth(1, -1.0),
    lambda: LinkBandwidth(1, float("nan")),
    lambda: LinkBandwidth(1, 1e39),
    lambda: Encapsulation(65536),
    lambda: RawExtendedCommunity(256, 0, bytes(6)),
    lambda: RawExtendedCommunity(0, 0, bytes(5)),
    lambda: ExtendedCommunities(()),
])
def test_extended_community_constructors_refuse(build: object) -> None:
    assert callable(build)
    with pytest.raises(LocalProtocolError):
        build()


@pytest.mark.parametrize("text", [
    "", "rt", "rt 65000", "rt x:1", "rt 65536:1:2", "rt 1.2.3:4", "ro 65000:1 sideways",
    "link-bandwidth 1", "encap vxlan", "raw 00:02:0000", "target 1:2", "rt 65000:100 a b",
])
def test_parse_extended_community_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not an extended community"):
        parse_extended_community(text)


def test_parse_extended_community_picks_four_octet_form_for_large_as() -> None:
    value = parse_extended_community("rt 4200000000:5")
    assert value == RouteTarget(4200000000, 5, four_octet_as=True)
