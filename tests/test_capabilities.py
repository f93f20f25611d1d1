"""OPEN capabilities: golden vectors in both directions, malformed values, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpwire.constants import AFI, SAFI, BGPRole, CapabilityCode, OpenMessageSubcode
from bgpwire.errors import LocalProtocolError, OpenMessageError, ProtocolError
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpwire.messages.capabilities import (
    CAPABILITY_TYPES,
    AddPathCapability,
    AddPathEntry,
    AddPathMode,
    BGPRoleCapability,
    Capability,
    EnhancedRouteRefreshCapability,
    ExtendedMessageCapability,
    ExtendedNextHopCapability,
    ExtendedNextHopEntry,
    FourOctetASCapability,
    FQDNCapability,
    GracefulRestartCapability,
    GracefulRestartFamily,
    LongLivedGracefulRestartCapability,
    LongLivedGracefulRestartFamily,
    MultiprotocolCapability,
    RouteRefreshCapability,
    SoftwareVersionCapability,
    UnknownCapability,
    decode_capabilities,
    decode_capability,
)
from tests.strategies.messages import capabilities

IPV4_MPLS_VPN = Family(AFI.IPV4, SAFI.MPLS_VPN)

GOLDEN: list[tuple[str, Capability]] = [
    # code 01, length 04, AFI 0002 (IPv6), reserved 00, SAFI 01 (unicast) -- RFC 4760 §8
    ("01 04 0002 00 01", MultiprotocolCapability(IPV6_UNICAST)),
    # the reserved octet is ignored on receipt but kept so the bytes come back
    ("01 04 0001 7f 01", MultiprotocolCapability(IPV4_UNICAST, reserved=0x7F)),
    # code 02, length 00 -- RFC 2918 §3
    ("02 00", RouteRefreshCapability()),
    # code 05, length 0c; IPv4 unicast (AFI 0001, 2-octet SAFI 0001) via IPv6 (0002), then
    # IPv4 MPLS VPN (SAFI 0080) via IPv6 -- RFC 8950 §3
    (
        "05 0c 0001 0001 0002 0001 0080 0002",
        ExtendedNextHopCapability(
            (
                ExtendedNextHopEntry(IPV4_UNICAST, AFI.IPV6),
                ExtendedNextHopEntry(IPV4_MPLS_VPN, AFI.IPV6),
            )
        ),
    ),
    # code 06, length 00 -- RFC 8654 §3
    ("06 00", ExtendedMessageCapability()),
    # code 09, length 01, role 03 (customer) -- RFC 9234 §4.1
    ("09 01 03", BGPRoleCapability(BGPRole.CUSTOMER)),
    # an unassigned role is kept as an integer for the session to judge
    ("09 01 2a", BGPRoleCapability(42)),
    # code 40 (64), length 0a; flags R=1 N=1 and restart time 0x0b4 (180 s);
    # IPv4 unicast with F=1, IPv6 unicast with F=0 -- RFC 4724 §3, RFC 8538 §2
    (
        "40 0a c0b4 0001 01 80 0002 01 00",
        GracefulRestartCapability(
            restart_state=True,
            notification=True,
            restart_time=180,
            families=(
                GracefulRestartFamily(IPV4_UNICAST, True),
                GracefulRestartFamily(IPV6_UNICAST, False),
            ),
        ),
    ),
    # helper-only speakers send the flags and time without any family; reserved bits 0x3000 and
    # 0x01 of a family's flags are kept
    ("40 02 3fff", GracefulRestartCapability(False, False, 4095, reserved_flags=3)),
    (
        "40 06 0000 0001 01 81",
        GracefulRestartCapability(
            False, False, 0, (GracefulRestartFamily(IPV4_UNICAST, True, reserved_flags=1),)
        ),
    ),
    # code 41 (65), length 04, AS 4200000000 -- RFC 6793 §3
    ("41 04 fa56ea00", FourOctetASCapability(4_200_000_000)),
    # code 45 (69), length 08; IPv4 unicast receive (1), IPv6 unicast both (3) -- RFC 7911 §4
    (
        "45 08 0001 01 01 0002 01 03",
        AddPathCapability(
            (
                AddPathEntry(IPV4_UNICAST, AddPathMode.RECEIVE),
                AddPathEntry(IPV6_UNICAST, AddPathMode.BOTH),
            )
        ),
    ),
    # code 46 (70), length 00 -- RFC 7313 §3.1
    ("46 00", EnhancedRouteRefreshCapability()),
    # code 47 (71), length 0e; IPv4 unicast F=1 stale 0x000e10 (3600 s); IPv6 unicast F=0 stale
    # 0xffffff -- RFC 9494 §2
    (
        "47 0e 0001 01 80 000e10 0002 01 00 ffffff",
        LongLivedGracefulRestartCapability(
            (
                LongLivedGracefulRestartFamily(IPV4_UNICAST, True, 3600),
                LongLivedGracefulRestartFamily(IPV6_UNICAST, False, 0xFFFFFF),
            )
        ),
    ),
    # code 49 (73), length 0f; hostname length 02 "r1", domain length 0b "example.net"
    (
        "49 0f 02 7231 0b 6578616d706c652e6e6574",
        FQDNCapability("r1", "example.net"),
    ),
    # hostname only: domain length 00
    ("49 04 02 7231 00", FQDNCapability("r1")),
    # code 4b (75), length 0e; version length 0d, "FRRouting/9.1"
    ("4b 0e 0d 4652526f7574696e672f392e31", SoftwareVersionCapability("FRRouting/9.1")),
    # code 80 (128): the pre-standard route refresh Cisco and FRR still send
    ("80 00", UnknownCapability(128, b"")),
    ("ee 03 010203", UnknownCapability(0xEE, b"\x01\x02\x03")),
]


@pytest.mark.parametrize(("hex_bytes", "capability"), GOLDEN)
def test_golden_decode(hex_bytes: str, capability: Capability) -> None:
    data = bytes.fromhex(hex_bytes)
    assert decode_capabilities(data) == (capability,)


@pytest.mark.parametrize(("hex_bytes", "capability"), GOLDEN)
def test_golden_encode(hex_bytes: str, capability: Capability) -> None:
    assert capability.encode() == bytes.fromhex(hex_bytes)


def test_decoded_values_are_named() -> None:
    mp = decode_capability(CapabilityCode.MULTIPROTOCOL, bytes.fromhex("00020001"))
    assert isinstance(mp, MultiprotocolCapability)
    assert isinstance(mp.family.afi, AFI)
    assert mp.family.name == "ipv6-unicast"
    role = decode_capability(CapabilityCode.BGP_ROLE, b"\x04")
    assert isinstance(role, BGPRoleCapability)
    assert role.role is BGPRole.PEER


def test_several_capabilities_keep_their_order() -> None:
    # route refresh, MP IPv4 unicast, route refresh again: repeats are legal (RFC 5492 §4)
    data = bytes.fromhex("02000104 0001 00 010200")
    assert decode_capabilities(data) == (
        RouteRefreshCapability(),
        MultiprotocolCapability(IPV4_UNICAST),
        RouteRefreshCapability(),
    )


def test_one_malformed_capability_fails_the_parameter() -> None:
    # route refresh, then a 4-octet AS capability whose value is empty
    with pytest.raises(OpenMessageError, match="4-octet AS"):
        decode_capabilities(bytes.fromhex("0200 4100"))


MALFORMED = [
    ("01 03 000100", "Multiprotocol"),
    ("01 05 0001000100", "Multiprotocol"),
    ("02 01 00", "RouteRefreshCapability"),
    ("05 05 0001000100", "Extended Next Hop"),
    ("06 01 00", "ExtendedMessageCapability"),
    ("09 00", "BGP Role"),
    ("09 02 0000", "BGP Role"),
    ("40 01 00", "Graceful Restart"),
    ("40 05 0000 000101", "Graceful Restart"),
    ("41 02 0001", "4-octet AS"),
    ("45 03 000101", "ADD-PATH"),
    ("45 04 0001 01 00", "ADD-PATH"),  # Send/Receive 0
    ("45 04 0001 01 04", "ADD-PATH"),  # Send/Receive 4
    ("46 01 00", "EnhancedRouteRefreshCapability"),
    ("47 06 0001 01 80 0000", "Long-Lived"),
    ("49 00", "FQDN"),
    ("49 02 05 72", "FQDN"),  # hostname length overruns
    ("49 04 02 7231 05", "FQDN"),  # domain length overruns
    ("49 05 02 7231 00 ff", "FQDN"),  # octets after the domain
    ("4b 00", "Software Version"),
    ("4b 03 05 4142", "Software Version"),
    ("4b 03 01 4142", "Software Version"),
]


@pytest.mark.parametrize(("hex_bytes", "name"), MALFORMED)
def test_malformed_value(hex_bytes: str, name: str) -> None:
    with pytest.raises(OpenMessageError) as info:
        decode_capabilities(bytes.fromhex(hex_bytes))
    assert type(info.value) is OpenMessageError
    assert info.value.subcode is OpenMessageSubcode.UNSPECIFIC
    assert info.value.data == b""
    assert name in info.value.reason


@pytest.mark.parametrize("hex_bytes", ["02", "0201", "4104fa56ea", "0200 41"])
def test_triple_overrunning_its_parameter(hex_bytes: str) -> None:
    with pytest.raises(OpenMessageError) as info:
        decode_capabilities(bytes.fromhex(hex_bytes))
    assert info.value.subcode is OpenMessageSubcode.UNSPECIFIC
    assert "overruns" in info.value.reason


def test_undecodable_text_is_kept() -> None:
    data = bytes.fromhex("4b 03 02 c328")  # invalid UTF-8
    (capability,) = decode_capabilities(data)
    assert isinstance(capability, SoftwareVersionCapability)
    assert capability.encode() == data


@pytest.mark.parametrize(
    "build",
    [
        lambda: MultiprotocolCapability(Family(1, 256)),
        lambda: MultiprotocolCapability(Family(65536, 1)),
        lambda: GracefulRestartCapability(False, False, 4096),
        lambda: GracefulRestartCapability(False, False, 0, reserved_flags=4),
        lambda: LongLivedGracefulRestartCapability(
            (LongLivedGracefulRestartFamily(IPV4_UNICAST, False, 1 << 24),)
        ),
        lambda: FourOctetASCapability(1 << 32),
        lambda: FourOctetASCapability(-1),
        lambda: AddPathCapability((AddPathEntry(IPV4_UNICAST, 0),)),  # type: ignore[arg-type]
        lambda: BGPRoleCapability(256),
        lambda: FQDNCapability("a" * 200, "b" * 60),
        lambda: FQDNCapability("\ud800"),
        lambda: SoftwareVersionCapability("v" * 255),
        lambda: UnknownCapability(256, b""),
        lambda: UnknownCapability(200, bytes(256)),
    ],
)
def test_impossible_values_are_refused(build: object) -> None:
    assert callable(build)
    with pytest.raises(LocalProtocolError):
        build()


def test_too_long_value_is_refused_on_encode() -> None:
    entries = tuple(AddPathEntry(Family(1, safi), AddPathMode.SEND) for safi in range(64))
    with pytest.raises(LocalProtocolError, match="exceeds 255"):
        AddPathCapability(entries).encode()


def test_registry_matches_codes() -> None:
    for code, cls in CAPABILITY_TYPES.items():
        assert code == cls.CODE
        assert code in CapabilityCode._value2member_map_
    assert set(CAPABILITY_TYPES) == {int(code) for code in CapabilityCode}


@given(capabilities())
def test_value_round_trip(capability: Capability) -> None:
    encoded = capability.encode()
    assert decode_capabilities(encoded) == (capability,)
    assert decode_capability(capability.type_code, encoded[2:]).encode() == encoded


@given(st.integers(0, 255), st.binary(max_size=64))
def test_any_triple_decodes_or_fails_cleanly(code: int, value: bytes) -> None:
    try:
        capability = decode_capability(code, value)
    except ProtocolError:
        assert code in CAPABILITY_TYPES
        return
    # Whatever decodes re-encodes to the very same bytes.
    assert capability.encode() == bytes((code, len(value))) + value


@given(st.binary(max_size=300))
def test_any_parameter_value_decodes_or_fails_cleanly(data: bytes) -> None:
    try:
        decoded = decode_capabilities(data)
    except OpenMessageError:
        return
    assert b"".join(c.encode() for c in decoded) == data
