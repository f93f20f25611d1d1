"""The OPEN message: golden vectors, the RFC 9072 layout, every malformed case, round trips."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpwire.constants import (
    AS_TRANS,
    HEADER_LENGTH,
    MAX_MESSAGE_LENGTH,
    ErrorCode,
    MessageHeaderSubcode,
    OpenMessageSubcode,
)
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import (
    BadBGPIdentifier,
    BadMessageLength,
    LocalProtocolError,
    OpenMessageError,
    ProtocolError,
    UnacceptableHoldTime,
    UnsupportedOptionalParameter,
    UnsupportedVersionNumber,
)
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST
from bgpwire.messages.capabilities import (
    AddPathCapability,
    AddPathEntry,
    AddPathMode,
    EnhancedRouteRefreshCapability,
    ExtendedMessageCapability,
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
)
from bgpwire.messages.header import check_header
from bgpwire.messages.open import Open
from tests.strategies.messages import opens


def message(*fields: str) -> bytes:
    """Header plus the hex fields, with the length computed."""
    body = bytes.fromhex("".join(fields))
    return b"\xff" * 16 + (HEADER_LENGTH + len(body)).to_bytes(2, "big") + b"\x01" + body


def decode(data: bytes, ctx: Negotiated = DEFAULT_CONTEXT) -> Open:
    check_header(data, ctx.max_message_length)
    return Open.decode_body(data[HEADER_LENGTH:], ctx)


# --- golden vectors --------------------------------------------------------------------------

MINIMAL = message(
    "04",  # version 4
    "fde8",  # my AS 65000
    "00b4",  # hold time 180
    "c0000201",  # BGP identifier 192.0.2.1
    "00",  # no optional parameters
)


def test_minimal_open() -> None:
    assert len(MINIMAL) == 29
    value = decode(MINIMAL)
    assert value == Open(4, 65000, 180, IPv4Address("192.0.2.1"))
    assert value.asn == 65000
    assert value.families == (IPV4_UNICAST,)  # no MP capability: IPv4 unicast only
    assert value.capability(FourOctetASCapability) is None
    assert value.encode() == MINIMAL


# One Capabilities parameter holding every capability, as GoBGP and BIRD send it.
SINGLE_PARAMETER = message(
    "04",  # version
    "5ba0",  # my AS 23456 (AS_TRANS)
    "005a",  # hold time 90
    "0a000001",  # BGP identifier 10.0.0.1
    "14",  # optional parameters length 20
    "02 12",  # parameter type 2 (capabilities), length 18
    "01 04 0001 00 01",  # MP IPv4 unicast
    "01 04 0002 00 01",  # MP IPv6 unicast
    "41 04 fa56ea00",  # 4-octet AS 4200000000
)


def test_single_parameter_open() -> None:
    value = decode(SINGLE_PARAMETER)
    assert value.my_as == AS_TRANS
    assert value.asn == 4_200_000_000
    assert value.families == (IPV4_UNICAST, IPV6_UNICAST)
    assert value.capability_groups is None  # the default layout
    assert value.extended_parameters is False
    assert value == Open.build(
        asn=4_200_000_000,
        hold_time=90,
        bgp_identifier="10.0.0.1",
        capabilities=(MultiprotocolCapability(IPV4_UNICAST), MultiprotocolCapability(IPV6_UNICAST)),
    )
    assert value.encode() == SINGLE_PARAMETER


# Modelled on what FRR 8.4 sends with default settings plus ADD-PATH receive and graceful restart:
# one Capabilities parameter per capability, the pre-standard route refresh (128) next to the
# standard one, FQDN, GR with the N bit, and LLGR. Hand-built, not a capture.
FRR_LIKE = message(
    "04",  # version
    "fde9",  # my AS 65001
    "00b4",  # hold time 180
    "0a000001",  # BGP identifier 10.0.0.1
    "5c",  # optional parameters length 92
    "02 06  01 04 0001 00 01",  # MP IPv4 unicast
    "02 06  01 04 0002 00 01",  # MP IPv6 unicast
    "02 02  80 00",  # route refresh, pre-standard code 128
    "02 02  02 00",  # route refresh
    "02 02  46 00",  # enhanced route refresh
    "02 06  41 04 0000fde9",  # 4-octet AS 65001
    "02 02  06 00",  # extended message
    "02 0a  45 08 0001 01 01 0002 01 01",  # ADD-PATH receive for IPv4 and IPv6 unicast
    "02 06  49 04 02 7231 00",  # FQDN: hostname "r1", no domain
    "02 0c  40 0a 4078 0001 01 80 0002 01 80",  # GR: N bit, 120 s, both families F=1
    "02 10  47 0e 0001 01 00 000000 0002 01 00 000000",  # LLGR: stale time 0 for both
)


def test_frr_like_open() -> None:
    value = decode(FRR_LIKE)
    assert value.asn == 65001
    assert value.hold_time == 180
    assert value.families == (IPV4_UNICAST, IPV6_UNICAST)
    assert value.capability_groups == (1,) * 11
    assert value.capabilities == (
        MultiprotocolCapability(IPV4_UNICAST),
        MultiprotocolCapability(IPV6_UNICAST),
        UnknownCapability(128, b""),
        RouteRefreshCapability(),
        EnhancedRouteRefreshCapability(),
        FourOctetASCapability(65001),
        ExtendedMessageCapability(),
        AddPathCapability(
            (
                AddPathEntry(IPV4_UNICAST, AddPathMode.RECEIVE),
                AddPathEntry(IPV6_UNICAST, AddPathMode.RECEIVE),
            )
        ),
        FQDNCapability("r1", ""),
        GracefulRestartCapability(
            restart_state=False,
            notification=True,
            restart_time=120,
            families=(
                GracefulRestartFamily(IPV4_UNICAST, True),
                GracefulRestartFamily(IPV6_UNICAST, True),
            ),
        ),
        LongLivedGracefulRestartCapability(
            (
                LongLivedGracefulRestartFamily(IPV4_UNICAST, False, 0),
                LongLivedGracefulRestartFamily(IPV6_UNICAST, False, 0),
            )
        ),
    )
    gr = value.capability(GracefulRestartCapability)
    assert gr is not None and gr.notification and gr.restart_time == 120
    assert value.encode() == FRR_LIKE


def test_grouping_changes_bytes_not_meaning() -> None:
    value = decode(FRR_LIKE)
    compact = Open(
        value.version, value.my_as, value.hold_time, value.bgp_identifier, value.capabilities
    )
    assert compact.capabilities == value.capabilities
    assert compact != value
    assert len(compact.encode()) == len(FRR_LIKE) - 2 * 10  # ten parameter headers fewer
    assert decode(compact.encode()) == compact


def test_empty_capabilities_parameter_is_kept() -> None:
    data = message("04 fde8 00b4 c0000201", "04", "02 00", "02 00")
    value = decode(data)
    assert value.capabilities == ()
    assert value.capability_groups == (0, 0)
    assert value.encode() == data


# --- RFC 9072 extended optional parameters length ---------------------------------------------

EXTENDED = message(
    "04 fde8 00b4 c0000201",
    "ff",  # Non-Ext OP Len: 255
    "ff",  # Non-Ext OP Type: 255, the extended layout marker
    "000b",  # Extended Opt. Parm. Length: 11
    "02 0008",  # parameter type 2, two-octet length 8
    "02 00",  # route refresh
    "41 04 0000fde8",  # 4-octet AS 65000
)


def test_extended_layout_small() -> None:
    value = decode(EXTENDED)
    assert value.extended_parameters is True
    assert value.capabilities == (RouteRefreshCapability(), FourOctetASCapability(65000))
    assert value.encode() == EXTENDED


def test_extended_layout_ignores_non_ext_length() -> None:
    # RFC 9072 §2: any non-zero Non-Ext OP Len is ignored once the marker is seen; it is
    # re-encoded as the recommended 255.
    data = bytearray(EXTENDED)
    data[HEADER_LENGTH + 9] = 0x01
    value = decode(bytes(data))
    assert value == decode(EXTENDED)
    assert value.encode() == EXTENDED


def test_build_switches_to_extended_layout() -> None:
    long_version = SoftwareVersionCapability("x" * 200)
    caps = (long_version, FQDNCapability("h" * 100, "d" * 100))
    value = Open.build(asn=65000, hold_time=90, bgp_identifier="192.0.2.1", capabilities=caps)
    assert value.extended_parameters is True
    data = value.encode()
    assert data[HEADER_LENGTH + 9 : HEADER_LENGTH + 11] == b"\xff\xff"
    assert decode(data) == value
    short = Open(4, 65000, 90, IPv4Address("192.0.2.1"), caps)
    with pytest.raises(LocalProtocolError, match="RFC 9072"):
        short.encode()


def test_build_keeps_short_layout_when_it_fits() -> None:
    value = Open.build(asn=65000, hold_time=90, bgp_identifier="192.0.2.1")
    assert value.extended_parameters is False
    assert value.my_as == 65000
    assert value.capabilities == (FourOctetASCapability(65000),)


def test_build_refuses_contradicting_four_octet_as() -> None:
    with pytest.raises(LocalProtocolError):
        Open.build(
            asn=65000,
            hold_time=90,
            bgp_identifier="192.0.2.1",
            capabilities=(FourOctetASCapability(65001),),
        )


def test_open_never_exceeds_4096_octets() -> None:
    caps = tuple(UnknownCapability(200, bytes(250)) for _ in range(17))
    value = Open(4, 1, 90, IPv4Address("192.0.2.1"), caps, extended_parameters=True)
    with pytest.raises(LocalProtocolError, match="4096"):
        value.encode(Negotiated(extended_message=True))


# --- malformed OPENs ---------------------------------------------------------------------------

HEAD = "fde8 00b4 c0000201"  # my AS 65000, hold time 180, identifier 192.0.2.1


@pytest.mark.parametrize(
    ("body", "error", "subcode", "data"),
    [
        # RFC 4271 §6.2: data is the largest supported version, two octets
        (
            "03" + HEAD + "00",
            UnsupportedVersionNumber,
            OpenMessageSubcode.UNSUPPORTED_VERSION_NUMBER,
            b"\x00\x04",
        ),
        (
            "05" + HEAD + "00",
            UnsupportedVersionNumber,
            OpenMessageSubcode.UNSUPPORTED_VERSION_NUMBER,
            b"\x00\x04",
        ),
        # hold time 1 and 2 are refused (RFC 4271 §6.2)
        (
            "04 fde8 0001 c0000201 00",
            UnacceptableHoldTime,
            OpenMessageSubcode.UNACCEPTABLE_HOLD_TIME,
            b"",
        ),
        (
            "04 fde8 0002 c0000201 00",
            UnacceptableHoldTime,
            OpenMessageSubcode.UNACCEPTABLE_HOLD_TIME,
            b"",
        ),
        # identifier 0.0.0.0 (RFC 6286 §2.2 only requires non-zero)
        ("04 fde8 00b4 00000000 00", BadBGPIdentifier, OpenMessageSubcode.BAD_BGP_IDENTIFIER, b""),
        # optional parameters length says 4, nothing follows
        ("04" + HEAD + "04", OpenMessageError, OpenMessageSubcode.UNSPECIFIC, b""),
        # optional parameters length says 0, two octets follow
        ("04" + HEAD + "00 0200", OpenMessageError, OpenMessageSubcode.UNSPECIFIC, b""),
        # a parameter header cut in half
        ("04" + HEAD + "01 02", OpenMessageError, OpenMessageSubcode.UNSPECIFIC, b""),
        # parameter length 3 with two octets left
        ("04" + HEAD + "04 02 03 0200", OpenMessageError, OpenMessageSubcode.UNSPECIFIC, b""),
        # a capability overrunning its parameter
        ("04" + HEAD + "04 02 02 4104", OpenMessageError, OpenMessageSubcode.UNSPECIFIC, b""),
        # a malformed capability value (MP of length 3)
        (
            "04" + HEAD + "07 02 05 0103 000100",
            OpenMessageError,
            OpenMessageSubcode.UNSPECIFIC,
            b"",
        ),
        # parameter type 1 (deprecated authentication): unsupported (RFC 4271 §6.2)
        (
            "04" + HEAD + "03 01 01 00",
            UnsupportedOptionalParameter,
            OpenMessageSubcode.UNSUPPORTED_OPTIONAL_PARAMETER,
            b"",
        ),
        # an unknown parameter after a good one
        (
            "04" + HEAD + "06 02 02 0200 07 00",
            UnsupportedOptionalParameter,
            OpenMessageSubcode.UNSUPPORTED_OPTIONAL_PARAMETER,
            b"",
        ),
        # RFC 9072 marker but the extended length is cut short
        ("04" + HEAD + "ff ff 00", OpenMessageError, OpenMessageSubcode.UNSPECIFIC, b""),
        # RFC 9072 length disagreeing with what follows
        (
            "04" + HEAD + "ff ff 0006 02 0002 0200",
            OpenMessageError,
            OpenMessageSubcode.UNSPECIFIC,
            b"",
        ),
        # RFC 9072 parameter with a two-octet length running past the end
        (
            "04" + HEAD + "ff ff 0005 02 0003 0200",
            OpenMessageError,
            OpenMessageSubcode.UNSPECIFIC,
            b"",
        ),
    ],
)
def test_malformed(
    body: str, error: type[ProtocolError], subcode: OpenMessageSubcode, data: bytes
) -> None:
    with pytest.raises(error) as info:
        decode(message(body))
    assert type(info.value) is error
    assert info.value.code is ErrorCode.OPEN_MESSAGE_ERROR
    assert info.value.subcode is subcode
    assert info.value.data == data


def test_hold_time_zero_and_three_are_fine() -> None:
    assert decode(message("04 fde8 0000 c0000201 00")).hold_time == 0
    assert decode(message("04 fde8 0003 c0000201 00")).hold_time == 3


def test_body_shorter_than_fixed_fields() -> None:
    with pytest.raises(BadMessageLength) as info:
        Open.decode_body(bytes.fromhex("04 fde8 00b4 c0000201"), DEFAULT_CONTEXT)
    assert info.value.subcode is MessageHeaderSubcode.BAD_MESSAGE_LENGTH
    assert info.value.data == (28).to_bytes(2, "big")


@pytest.mark.parametrize(
    "build",
    [
        lambda: Open(4, 65536, 90, IPv4Address("192.0.2.1")),
        lambda: Open(256, 1, 90, IPv4Address("192.0.2.1")),
        lambda: Open(4, 1, 65536, IPv4Address("192.0.2.1")),
        lambda: Open(4, 1, 90, "192.0.2.1"),  # type: ignore[arg-type]
        lambda: Open(4, 1, 90, IPv4Address("192.0.2.1"), other_parameters=((2, b""),)),
        lambda: Open(4, 1, 90, IPv4Address("192.0.2.1"), other_parameters=((255, b""),)),
        lambda: Open(
            4, 1, 90, IPv4Address("192.0.2.1"), (RouteRefreshCapability(),), capability_groups=(2,)
        ),
        lambda: Open.build(asn=1 << 32, hold_time=90, bgp_identifier="192.0.2.1"),
    ],
)
def test_impossible_opens_are_refused(build: object) -> None:
    assert callable(build)
    with pytest.raises(LocalProtocolError):
        build()


def test_other_parameters_can_be_sent_but_not_received() -> None:
    value = Open(4, 1, 90, IPv4Address("192.0.2.1"), other_parameters=((1, b"\x00"),))
    data = value.encode()
    assert data[HEADER_LENGTH + 9 :] == bytes.fromhex("03 01 01 00")
    with pytest.raises(UnsupportedOptionalParameter):
        decode(data)


def test_single_group_spelled_out_equals_default() -> None:
    caps = (RouteRefreshCapability(),)
    spelled = Open(4, 1, 90, IPv4Address("192.0.2.1"), caps, capability_groups=(1,))
    assert spelled == Open(4, 1, 90, IPv4Address("192.0.2.1"), caps)


# --- properties ----------------------------------------------------------------------------------


@given(opens())
def test_round_trip_value(value: Open) -> None:
    data = value.encode()
    assert len(data) <= MAX_MESSAGE_LENGTH
    assert decode(data) == value
    assert decode(data).encode() == data


@given(st.binary(max_size=300))
def test_any_body_decodes_or_fails_cleanly(body: bytes) -> None:
    try:
        value = Open.decode_body(body, DEFAULT_CONTEXT)
    except ProtocolError:
        return
    again = value.encode()[HEADER_LENGTH:]
    if value.extended_parameters:
        # the ignored Non-Ext OP Len octet is normalised to 255
        assert again[:9] + again[10:] == body[:9] + body[10:]
    else:
        assert again == body


@given(opens(), st.integers(0, 40), st.binary(min_size=1, max_size=4))
def test_corrupted_opens_fail_cleanly(value: Open, position: int, garbage: bytes) -> None:
    body = bytearray(value.encode()[HEADER_LENGTH:])
    body[position : position + len(garbage)] = garbage
    try:
        Open.decode_body(bytes(body), DEFAULT_CONTEXT)
    except ProtocolError as exc:
        assert exc.code is ErrorCode.OPEN_MESSAGE_ERROR or isinstance(exc, BadMessageLength)
