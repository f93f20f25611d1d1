"""KEEPALIVE and ROUTE-REFRESH: golden vectors, malformed lengths, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bgpwire.constants import (
    HEADER_LENGTH,
    ErrorCode,
    MessageHeaderSubcode,
    MessageType,
    RouteRefreshErrorSubcode,
    RouteRefreshSubtype,
)
from bgpwire.context import DEFAULT_CONTEXT, Negotiated
from bgpwire.errors import (
    BadMessageLength,
    LocalProtocolError,
    ProtocolError,
    RouteRefreshMessageError,
)
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpwire.messages.header import check_header
from bgpwire.messages.keepalive import Keepalive
from bgpwire.messages.route_refresh import RouteRefresh
from tests.strategies.messages import route_refreshes

KEEPALIVE = bytes.fromhex(
    "ffffffffffffffffffffffffffffffff"  # marker
    "0013"  # length 19
    "04"  # type 4, KEEPALIVE
)


def test_keepalive_golden() -> None:
    assert check_header(KEEPALIVE) == (MessageType.KEEPALIVE, 19)
    assert Keepalive.decode_body(KEEPALIVE[HEADER_LENGTH:], DEFAULT_CONTEXT) == Keepalive()
    assert Keepalive().encode() == KEEPALIVE
    # RFC 8654: a KEEPALIVE is the same with Extended Message
    assert Keepalive().encode(Negotiated(extended_message=True)) == KEEPALIVE


@pytest.mark.parametrize("body", [b"\x00", b"\x01\x02\x03"])
def test_keepalive_with_body(body: bytes) -> None:
    with pytest.raises(BadMessageLength) as info:
        Keepalive.decode_body(body, DEFAULT_CONTEXT)
    assert info.value.code is ErrorCode.MESSAGE_HEADER_ERROR
    assert info.value.subcode is MessageHeaderSubcode.BAD_MESSAGE_LENGTH
    assert info.value.data == (19 + len(body)).to_bytes(2, "big")


def refresh(*fields: str) -> bytes:
    body = bytes.fromhex("".join(fields))
    return b"\xff" * 16 + (HEADER_LENGTH + len(body)).to_bytes(2, "big") + b"\x05" + body


GOLDEN = [
    # AFI 0001, subtype 00 (normal request, RFC 2918 §3), SAFI 01
    (refresh("0001", "00", "01"), RouteRefresh(IPV4_UNICAST)),
    # AFI 0002, subtype 01 Beginning of Route Refresh (RFC 7313 §3.2), SAFI 01
    (
        refresh("0002", "01", "01"),
        RouteRefresh(IPV6_UNICAST, RouteRefreshSubtype.BEGIN_OF_ROUTE_REFRESH),
    ),
    # AFI 0002, subtype 02 End of Route Refresh, SAFI 01
    (
        refresh("0002", "02", "01"),
        RouteRefresh(IPV6_UNICAST, RouteRefreshSubtype.END_OF_ROUTE_REFRESH),
    ),
    # AFI 0019 (L2VPN), subtype 00, SAFI 46 (EVPN)
    (refresh("0019", "00", "46"), RouteRefresh(Family(25, 70))),
    # subtype 255 is reserved: decoded and kept as an integer, for the session to ignore
    (refresh("0001", "ff", "01"), RouteRefresh(IPV4_UNICAST, 255)),
]


@pytest.mark.parametrize(("data", "value"), GOLDEN)
def test_route_refresh_golden(data: bytes, value: RouteRefresh) -> None:
    assert len(data) == 23
    check_header(data)
    decoded = RouteRefresh.decode_body(data[HEADER_LENGTH:], DEFAULT_CONTEXT)
    assert decoded == value
    assert value.encode() == data


def test_route_refresh_names() -> None:
    decoded = RouteRefresh.decode_body(bytes.fromhex("00020101"), DEFAULT_CONTEXT)
    assert decoded.family.name == "ipv6-unicast"
    assert decoded.subtype is RouteRefreshSubtype.BEGIN_OF_ROUTE_REFRESH
    assert decoded.is_known_subtype
    unknown = RouteRefresh.decode_body(bytes.fromhex("00010701"), DEFAULT_CONTEXT)
    assert unknown.subtype == 7 and not unknown.is_known_subtype


@pytest.mark.parametrize("body", ["000100", "0001000100", "00010001" + "00" * 100])
def test_route_refresh_wrong_length(body: str) -> None:
    data = refresh(body)  # a 22-octet one only arrives here when the header check is skipped
    with pytest.raises(RouteRefreshMessageError) as info:
        RouteRefresh.decode_body(data[HEADER_LENGTH:], DEFAULT_CONTEXT)
    assert info.value.code is ErrorCode.ROUTE_REFRESH_MESSAGE_ERROR
    assert info.value.subcode is RouteRefreshErrorSubcode.INVALID_MESSAGE_LENGTH
    assert info.value.data == data  # RFC 7313 §5: the complete message


def test_route_refresh_too_short_for_header() -> None:
    with pytest.raises(BadMessageLength):
        check_header(refresh("000100"))


@pytest.mark.parametrize(
    "build",
    [
        lambda: RouteRefresh(Family(65536, 1)),
        lambda: RouteRefresh(Family(1, 256)),
        lambda: RouteRefresh(IPV4_UNICAST, 256),
    ],
)
def test_impossible_route_refresh(build: object) -> None:
    assert callable(build)
    with pytest.raises(LocalProtocolError):
        build()


@given(route_refreshes())
def test_route_refresh_round_trip(value: RouteRefresh) -> None:
    data = value.encode()
    assert len(data) == 23
    assert RouteRefresh.decode_body(data[HEADER_LENGTH:], DEFAULT_CONTEXT) == value


@given(st.binary(max_size=40))
def test_any_route_refresh_body(body: bytes) -> None:
    try:
        value = RouteRefresh.decode_body(body, DEFAULT_CONTEXT)
    except ProtocolError as exc:
        assert len(body) != 4
        assert exc.data[HEADER_LENGTH:] == body
        return
    assert value.encode()[HEADER_LENGTH:] == body


@given(st.binary(max_size=40))
def test_any_keepalive_body(body: bytes) -> None:
    try:
        value = Keepalive.decode_body(body, DEFAULT_CONTEXT)
    except ProtocolError:
        assert body
        return
    assert value.encode() == KEEPALIVE
