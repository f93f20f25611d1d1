"""OPEN checks (RFC 4271 §6.2, RFC 5492, RFC 6286, RFC 6793, RFC 9234) and negotiation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from ipaddress import IPv4Address
from typing import Any

import pytest

from bgpwire.constants import (
    AS_TRANS,
    BGPRole,
    CapabilityCode,
    ErrorCode,
    OpenMessageSubcode,
)
from bgpwire.errors import LocalProtocolError
from bgpwire.families import IPV4_MULTICAST, IPV4_UNICAST, IPV6_UNICAST
from bgpwire.fsm import GracefulRestartConfig, PeerConfig, State, negotiate
from bgpwire.messages import Notification, Open
from bgpwire.messages.capabilities import (
    AddPathCapability,
    AddPathEntry,
    AddPathMode,
    EnhancedRouteRefreshCapability,
    GracefulRestartCapability,
    MultiprotocolCapability,
    RouteRefreshCapability,
)
from tests.fsm_helpers import A_ID, SessionPair, config, mirror, state


def notification_from(pair: SessionPair, side: str = "a") -> Notification:
    messages: Sequence[object] = getattr(pair, side).messages()
    found = [m for m in messages if isinstance(m, Notification)]
    assert len(found) == 1, messages
    return found[0]


def run(a: PeerConfig, b: PeerConfig) -> SessionPair:
    pair = SessionPair(a, b)
    pair.connect()
    pair.exchange()
    return pair


# --- negotiation ----------------------------------------------------------------------------


def test_families_are_the_intersection_in_our_order() -> None:
    local = Open.build(asn=1, hold_time=90, bgp_identifier="1.1.1.1", capabilities=(
        MultiprotocolCapability(IPV6_UNICAST), MultiprotocolCapability(IPV4_UNICAST)))
    remote = Open.build(asn=2, hold_time=90, bgp_identifier="2.2.2.2", capabilities=(
        MultiprotocolCapability(IPV4_MULTICAST), MultiprotocolCapability(IPV6_UNICAST)))
    assert negotiate(local, remote).families == (IPV6_UNICAST,)


def test_four_octet_as_needs_both_sides() -> None:
    local = Open.build(asn=65001, hold_time=90, bgp_identifier="1.1.1.1")
    old = Open(4, 65002, 90, IPv4Address("2.2.2.2"))
    result = negotiate(local, old)
    assert not result.four_octet_as
    assert not result.receive_ctx.four_octet_as and not result.send_ctx.four_octet_as
    assert result.families == (IPV4_UNICAST,)
    assert negotiate(local, Open.build(asn=65002, hold_time=90,
                                       bgp_identifier="2.2.2.2")).four_octet_as


def test_add_path_directions_give_two_contexts() -> None:
    both = (MultiprotocolCapability(IPV4_UNICAST), MultiprotocolCapability(IPV6_UNICAST))
    local = Open.build(asn=1, hold_time=90, bgp_identifier="1.1.1.1", capabilities=(
        *both, AddPathCapability((AddPathEntry(IPV4_UNICAST, AddPathMode.BOTH),
                                  AddPathEntry(IPV6_UNICAST, AddPathMode.RECEIVE)))))
    remote = Open.build(asn=1, hold_time=90, bgp_identifier="2.2.2.2", capabilities=(
        *both, AddPathCapability((AddPathEntry(IPV4_UNICAST, AddPathMode.RECEIVE),
                                  AddPathEntry(IPV6_UNICAST, AddPathMode.BOTH)))))
    result = negotiate(local, remote)
    assert result.add_path_receive == frozenset({IPV6_UNICAST})
    assert result.add_path_send == frozenset({IPV4_UNICAST})
    assert result.receive_ctx.add_path == frozenset({IPV6_UNICAST})
    assert result.send_ctx.add_path == frozenset({IPV4_UNICAST})
    assert result.internal and result.receive_ctx.internal


def test_hold_time_refresh_and_graceful_restart() -> None:
    gr = GracefulRestartCapability(restart_state=True, notification=True, restart_time=30)
    local = Open.build(asn=1, hold_time=90, bgp_identifier="1.1.1.1", capabilities=(
        RouteRefreshCapability(), EnhancedRouteRefreshCapability()))
    remote = Open.build(asn=2, hold_time=9, bgp_identifier="2.2.2.2", capabilities=(
        RouteRefreshCapability(), gr))
    result = negotiate(local, remote)
    assert (result.hold_time, result.keepalive_time) == (9, 3.0)
    assert result.route_refresh and not result.enhanced_route_refresh
    assert result.graceful_restart == gr
    assert not result.internal and result.peer_as == 2


def test_session_negotiates_add_path_from_config() -> None:
    a = config(add_path=((IPV4_UNICAST, AddPathMode.SEND),))
    b = mirror(a, add_path=((IPV4_UNICAST, AddPathMode.RECEIVE),))
    pair = run(a, b)
    na, nb = pair.a.session.negotiation, pair.b.session.negotiation
    assert na is not None and nb is not None
    assert na.send_ctx.add_path == frozenset({IPV4_UNICAST}) and not na.receive_ctx.add_path
    assert nb.receive_ctx.add_path == frozenset({IPV4_UNICAST}) and not nb.send_ctx.add_path


def test_graceful_restart_config_reaches_the_peer() -> None:
    a = config(graceful_restart=GracefulRestartConfig(
        restart_time=60, restarting=True, forwarding_state=frozenset({IPV4_UNICAST})))
    pair = run(a, mirror(a, graceful_restart=None))
    negotiation = pair.b.session.negotiation
    assert negotiation is not None and negotiation.graceful_restart is not None
    gr = negotiation.graceful_restart
    assert (gr.restart_time, gr.restart_state) == (60, True)
    assert [(f.family, f.forwarding_state) for f in gr.families] == [
        (IPV4_UNICAST, True), (IPV6_UNICAST, False)]


# --- OPEN checks, with the NOTIFICATION on the wire ----------------------------------------------


def test_bad_peer_as_carries_my_as() -> None:
    pair = run(config(peer_as=65009), mirror(config()))
    notification = notification_from(pair)
    assert (notification.code, notification.subcode, notification.data) == (
        ErrorCode.OPEN_MESSAGE_ERROR, OpenMessageSubcode.BAD_PEER_AS, (65002).to_bytes(2, "big"))
    assert state(pair.a.session) is State.IDLE and state(pair.b.session) is State.IDLE


def test_four_octet_peer_as_is_read_from_the_capability() -> None:
    big = 4_200_000_000
    good = run(config(peer_as=big), config(local_as=big, peer_as=65001,
                                           router_id=IPv4Address("10.0.0.2")))
    assert state(good.a.session) is State.ESTABLISHED
    bad = run(config(peer_as=65002), config(local_as=big, peer_as=65001,
                                            router_id=IPv4Address("10.0.0.2")))
    notification = notification_from(bad)
    assert (notification.subcode, notification.data) == (
        OpenMessageSubcode.BAD_PEER_AS, AS_TRANS.to_bytes(2, "big"))


def test_inconsistent_my_as_and_capability_is_bad_peer_as() -> None:
    pair = SessionPair(config(peer_as=None))
    pair.connect()
    pair.a.collect()
    liar = Open.build(asn=70000, hold_time=90, bgp_identifier="10.0.0.2")
    liar = Open(liar.version, 65002, 90, liar.bgp_identifier, liar.capabilities)
    pair.a.session.receive_data(liar.encode(), pair.now)
    pair.a.collect()
    assert notification_from(pair).subcode == OpenMessageSubcode.BAD_PEER_AS


def test_any_peer_as_is_accepted_when_not_configured() -> None:
    pair = run(config(peer_as=None), mirror(config()))
    negotiation = pair.a.session.negotiation
    assert state(pair.a.session) is State.ESTABLISHED
    assert negotiation is not None and negotiation.peer_as == 65002


def test_same_identifier_is_refused_on_ibgp_only() -> None:
    ibgp = run(config(peer_as=65001), config(local_as=65001, peer_as=65001, router_id=A_ID))
    notification = notification_from(ibgp)
    assert (notification.code, notification.subcode) == (
        ErrorCode.OPEN_MESSAGE_ERROR, OpenMessageSubcode.BAD_BGP_IDENTIFIER)
    ebgp = run(config(), mirror(config(), router_id=A_ID))
    assert state(ebgp.a.session) is State.ESTABLISHED


_VERSION, _HOLD, _IDENTIFIER = 19, slice(22, 24), slice(24, 28)
"""Offsets in a whole OPEN: after the 19-octet header, version, My AS, Hold Time, identifier."""


@pytest.mark.parametrize(("where", "value", "subcode", "data"), [
    (_HOLD, b"\x00\x01", OpenMessageSubcode.UNACCEPTABLE_HOLD_TIME, b""),
    (_HOLD, b"\x00\x02", OpenMessageSubcode.UNACCEPTABLE_HOLD_TIME, b""),
    (_VERSION, b"\x03", OpenMessageSubcode.UNSUPPORTED_VERSION_NUMBER, b"\x00\x04"),
    (_IDENTIFIER, bytes(4), OpenMessageSubcode.BAD_BGP_IDENTIFIER, b""),
])
def test_codec_level_open_errors(
    where: int | slice, value: bytes, subcode: int, data: bytes
) -> None:
    pair = SessionPair()
    pair.connect()
    pair.a.collect()
    raw = bytearray(Open.build(asn=65002, hold_time=90, bgp_identifier="10.0.0.2").encode())
    if isinstance(where, slice):
        raw[where] = value
    else:
        raw[where] = value[0]
    pair.a.session.receive_data(bytes(raw), pair.now)
    pair.a.collect()
    notification = notification_from(pair)
    assert (notification.code, notification.subcode, notification.data) == (
        ErrorCode.OPEN_MESSAGE_ERROR, subcode, data)


def test_missing_required_capabilities_are_listed() -> None:
    wanted_family = MultiprotocolCapability(IPV4_MULTICAST)
    a = config(required_capabilities=(
        CapabilityCode.EXTENDED_MESSAGE, wanted_family, CapabilityCode.ROUTE_REFRESH))
    pair = run(a, mirror(config()))
    notification = notification_from(pair)
    assert (notification.code, notification.subcode) == (
        ErrorCode.OPEN_MESSAGE_ERROR, OpenMessageSubcode.UNSUPPORTED_CAPABILITY)
    assert notification.data == bytes((CapabilityCode.EXTENDED_MESSAGE, 0)) + wanted_family.encode()


def test_required_capabilities_present_pass() -> None:
    a = config(required_capabilities=(MultiprotocolCapability(IPV6_UNICAST),
                                      CapabilityCode.FOUR_OCTET_AS))
    assert state(run(a, mirror(config())).a.session) is State.ESTABLISHED


@pytest.mark.parametrize(("local", "peer", "strict", "ok"), [
    (BGPRole.PROVIDER, BGPRole.CUSTOMER, False, True),
    (BGPRole.CUSTOMER, BGPRole.PROVIDER, True, True),
    (BGPRole.ROUTE_SERVER, BGPRole.ROUTE_SERVER_CLIENT, True, True),
    (BGPRole.PEER, BGPRole.PEER, True, True),
    (BGPRole.PROVIDER, BGPRole.PROVIDER, False, False),
    (BGPRole.PEER, BGPRole.CUSTOMER, False, False),
    (BGPRole.ROUTE_SERVER, BGPRole.ROUTE_SERVER, False, False),
    (BGPRole.PEER, None, False, True),
    (BGPRole.PEER, None, True, False),
])
def test_bgp_role_pairs(local: BGPRole, peer: BGPRole | None, strict: bool, ok: bool) -> None:
    pair = run(config(role=local, role_strict=strict), mirror(config(), role=peer))
    if ok:
        assert state(pair.a.session) is State.ESTABLISHED
    else:
        notification = notification_from(pair)
        assert (notification.code, notification.subcode) == (
            ErrorCode.OPEN_MESSAGE_ERROR, OpenMessageSubcode.ROLE_MISMATCH)


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("hold_time", 2, "hold_time = 2"),
    ("hold_time", 70000, "hold_time = 70000"),
    ("local_as", 0, "local_as = 0"),
    ("idle_hold_time_max", 1.0, "idle_hold_time_max"),
    ("role_strict", True, "role_strict"),
    ("add_path", ((IPV4_MULTICAST, AddPathMode.BOTH),), "add_path"),
])
def test_config_refuses_invalid_values(field: str, value: Any, fragment: str) -> None:
    with pytest.raises(LocalProtocolError, match=fragment):
        replace(config(), **{field: value})


def test_config_derived_values() -> None:
    cfg = config(hold_time=30, idle_hold_time=3, idle_hold_time_max=20)
    assert cfg.keepalive_time is None and cfg.keepalive_for(30) == 10
    assert cfg.send_hold_time_for(30) == 480 and cfg.send_hold_time_for(300) == 600
    assert [cfg.idle_hold_delay(n) for n in (1, 2, 3, 4, 5)] == [3, 6, 12, 20, 20]
    assert cfg.connect_retry_time == 120
