"""Session behaviour through the public API: OPEN exchange, timers, stop, UPDATE handling."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network

import pytest

from bgpwire.constants import CeaseSubcode, ErrorCode, FSMErrorSubcode, UpdateMessageSubcode
from bgpwire.context import Negotiated
from bgpwire.errors import Cease, LocalProtocolError
from bgpwire.families import IPV4_MULTICAST, IPV4_UNICAST
from bgpwire.fsm import (
    CloseRequested,
    ConnectRequested,
    NotificationReceived,
    NotificationSent,
    RouteRefreshReceived,
    Session,
    SessionDown,
    State,
    StateChanged,
    Timer,
    UpdateReceived,
)
from bgpwire.messages import Keepalive, Notification, Open, Update, decode
from bgpwire.messages.capabilities import AddPathMode
from bgpwire.prefixes import PathPrefix
from tests.fsm_helpers import (
    AS_PATH_B,
    NEXT_HOP_B,
    NLRI_192_0_2,
    ORIGIN_IGP,
    VALID_UPDATE,
    SessionPair,
    config,
    mirror,
    raw_message,
    raw_update,
    state,
)


def last_notification(side_messages: Sequence[object]) -> Notification:
    notifications = [m for m in side_messages if isinstance(m, Notification)]
    assert notifications, side_messages
    return notifications[-1]


# --- OPEN exchange --------------------------------------------------------------------------


def test_open_exchange_reaches_established_on_both_sides() -> None:
    pair = SessionPair()
    pair.establish()
    assert [e for e in pair.a.events if isinstance(e, StateChanged)] == [
        StateChanged(State.IDLE, State.CONNECT),
        StateChanged(State.CONNECT, State.OPEN_SENT),
        StateChanged(State.OPEN_SENT, State.OPEN_CONFIRM),
        StateChanged(State.OPEN_CONFIRM, State.ESTABLISHED),
    ]
    assert [e.new for e in pair.b.of(StateChanged)] == [
        State.ACTIVE, State.OPEN_SENT, State.OPEN_CONFIRM, State.ESTABLISHED]
    for side in pair.sides():
        messages = side.messages()
        assert [type(m) for m in messages] == [Open, Keepalive]
    assert pair.a.of(ConnectRequested) and not pair.b.of(ConnectRequested)
    assert pair.a.session.outbound and not pair.b.session.outbound


def test_either_side_may_connect() -> None:
    b_cfg = config(local_as=65002, peer_as=65001, router_id=mirror(config()).router_id)
    pair = SessionPair(b_cfg, mirror(b_cfg))
    pair.establish()
    negotiation = pair.a.session.negotiation
    assert negotiation is not None and negotiation.peer_as == 65001


def test_opens_in_one_chunk_with_keepalive() -> None:
    """The peer's OPEN and KEEPALIVE arriving together take the session straight through."""
    pair = SessionPair()
    pair.connect()
    pair.a.collect()
    b_open_and_keepalive = pair.b.collect()
    a = pair.a.session
    a.receive_data(b_open_and_keepalive + Keepalive().encode(), pair.now)
    assert state(a) is State.ESTABLISHED


def test_update_behind_the_open_in_one_chunk_is_decoded_as_the_open_negotiated() -> None:
    """ADD-PATH, negotiated by the OPENs, puts a path identifier before each prefix: an UPDATE
    that arrives in the same chunk as the peer's OPEN is decoded with it (each message with
    the context of the moment it is read), not with the context before the OPEN."""
    add_path = ((IPV4_UNICAST, AddPathMode.BOTH),)
    pair = SessionPair(config(add_path=add_path), mirror(config(add_path=add_path)))
    pair.connect()
    pair.a.collect()
    b_open_and_keepalive = pair.b.collect()
    with_path_id = raw_update(ORIGIN_IGP + AS_PATH_B + NEXT_HOP_B, (7).to_bytes(4, "big")
                              + NLRI_192_0_2)
    a = pair.a.session
    a.receive_data(b_open_and_keepalive + Keepalive().encode() + with_path_id, pair.now)
    assert state(a) is State.ESTABLISHED
    pair.a.collect()
    (event,) = pair.a.of(UpdateReceived)
    assert not event.update.problems
    assert list(event.update.nlri) == [PathPrefix(7, IPv4Network("192.0.2.0/24"))]


def test_hold_time_is_the_minimum_and_keepalive_a_third() -> None:
    pair = SessionPair(config(hold_time=30, jitter=False), mirror(config(), hold_time=90))
    pair.establish()
    for side in pair.sides():
        negotiation = side.session.negotiation
        assert negotiation is not None
        assert (negotiation.hold_time, negotiation.keepalive_time) == (30, 10.0)
    assert pair.a.session.timers == {Timer.HOLD: pair.now + 30, Timer.KEEPALIVE: pair.now + 10}


def test_hold_time_zero_runs_no_timers() -> None:
    pair = SessionPair(config(hold_time=0), mirror(config(), hold_time=90))
    pair.establish()
    for side in pair.sides():
        assert side.session.next_deadline() is None
    pair.advance(10_000)
    assert state(pair.a.session) is State.ESTABLISHED
    assert [type(m) for m in pair.a.messages()] == [Open, Keepalive]


# --- timers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("jitter", "rng", "expected"), [
    (False, 0.5, 30.0),
    (True, 0.0, 22.5),
    (True, 0.5, 26.25),
])
def test_keepalive_cadence(jitter: bool, rng: float, expected: float) -> None:
    pair = SessionPair(config(jitter=jitter), mirror(config(), jitter=jitter), rng=rng)
    pair.establish()
    start = pair.now
    sent_at = []
    for _ in range(4):
        deadline = pair.a.session.next_deadline()
        assert deadline is not None
        pair.advance(deadline - pair.now)
        sent_at.append(pair.now - start)
    assert sent_at == pytest.approx([expected * k for k in range(1, 5)])
    assert [type(m) for m in pair.a.messages()] == [Open] + [Keepalive] * 5
    assert state(pair.a.session) is state(pair.b.session) is State.ESTABLISHED


def test_hold_timer_expiry_sends_code_4() -> None:
    pair = SessionPair(config(jitter=False), mirror(config(), jitter=False))
    pair.establish()
    a = pair.a.session
    # b goes silent: only a's timers run.
    for _ in range(3):
        pair.now += 30
        a.handle_timers(pair.now)
    pair.a.collect()
    assert state(a) is State.IDLE
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode, notification.data) == (
        ErrorCode.HOLD_TIMER_EXPIRED, 0, b"")
    down = pair.a.of(SessionDown)[-1]
    assert down.notification_sent == notification and down.notification_received is None
    assert pair.a.of(CloseRequested)


def test_keepalive_and_update_restart_the_hold_timer() -> None:
    pair = SessionPair(config(jitter=False), mirror(config(), jitter=False))
    pair.establish()
    a = pair.a.session
    pair.now += 80
    a.receive_data(Keepalive().encode(), pair.now)
    assert a.timers[Timer.HOLD] == pair.now + 90
    pair.now += 80
    a.receive_data(VALID_UPDATE, pair.now)
    assert a.timers[Timer.HOLD] == pair.now + 90
    pair.a.collect()
    assert pair.a.of(UpdateReceived)


def test_open_sent_waits_four_minutes_for_the_peer() -> None:
    pair = SessionPair()
    pair.connect()
    a = pair.a.session
    assert state(a) is State.OPEN_SENT and a.timers[Timer.HOLD] == pair.now + 240
    pair.now += 240
    a.handle_timers(pair.now)
    pair.a.collect()
    assert state(a) is State.IDLE
    assert last_notification(pair.a.messages()).code == ErrorCode.HOLD_TIMER_EXPIRED


def test_delay_open_answers_the_peers_open_directly() -> None:
    pair = SessionPair(config(delay_open_time=5), mirror(config()))
    pair.connect()
    assert pair.a.collect() == b""
    assert pair.a.session.timers[Timer.DELAY_OPEN] == pair.now + 5
    pair.exchange()
    assert state(pair.a.session) is State.ESTABLISHED
    assert [e.new for e in pair.a.of(StateChanged)] == [
        State.CONNECT, State.OPEN_CONFIRM, State.ESTABLISHED]


def test_delay_open_expiry_sends_open() -> None:
    pair = SessionPair(config(delay_open_time=5), mirror(config(), delay_open_time=5))
    pair.connect()
    pair.exchange()
    assert state(pair.a.session) is State.CONNECT and state(pair.b.session) is State.ACTIVE
    pair.advance(5)
    assert state(pair.a.session) is state(pair.b.session) is State.ESTABLISHED


def test_idle_hold_backs_off_exponentially_up_to_the_cap() -> None:
    cfg = config(idle_hold_time=2, idle_hold_time_max=10, jitter=False)
    now = 0.0
    session = Session(cfg, now=now)
    session.start(now)
    delays: list[float] = []
    for _ in range(5):
        assert state(session) is State.CONNECT
        session.connection_failed(now)
        assert state(session) is State.IDLE
        deadline = session.next_deadline()
        assert deadline is not None
        delays.append(deadline - now)
        now = deadline
        session.handle_timers(now)
    assert delays == [2, 4, 8, 10, 10]
    assert session.failures == 5
    assert sum(isinstance(e, ConnectRequested) for e in session.next_events()) == 6


def test_failures_reset_once_established() -> None:
    pair = SessionPair()
    pair.a.session.start(pair.now)
    pair.a.session.connection_failed(pair.now)
    assert pair.a.session.failures == 1
    pair.advance(10)
    pair.b.session.start(pair.now, passive=True)
    pair.a.session.connection_made(pair.now)
    pair.b.session.connection_made(pair.now)
    pair.exchange()
    assert state(pair.a.session) is State.ESTABLISHED and pair.a.session.failures == 0


def test_connect_retry_timer_requests_a_new_connection() -> None:
    session = Session(config(jitter=False), now=0)
    session.start(0)
    assert session.timers == {Timer.CONNECT_RETRY: 120}
    session.next_events()
    session.handle_timers(120)
    assert session.next_events() == [ConnectRequested()]
    assert session.timers == {Timer.CONNECT_RETRY: 240}


def test_passive_session_waits_without_timers() -> None:
    session = Session(config(passive=True), now=0)
    session.start(0)
    assert state(session) is State.ACTIVE and session.next_deadline() is None
    assert ConnectRequested() not in session.next_events()


def test_send_hold_timer_rfc9687() -> None:
    pair = SessionPair(config(jitter=False), mirror(config(), jitter=False))
    pair.establish()
    a = pair.a.session
    a.output_blocked(pair.now)
    assert a.timers[Timer.SEND_HOLD] == pair.now + 480
    a.output_drained(pair.now)
    assert Timer.SEND_HOLD not in a.timers

    short = SessionPair(config(jitter=False, send_hold_time=60), mirror(config(), jitter=False))
    short.establish()
    a = short.a.session
    a.output_blocked(short.now)
    short.advance(60, deliver=False)
    pair = short
    assert state(a) is State.IDLE
    assert last_notification(pair.a.messages()).code == ErrorCode.SEND_HOLD_TIMER_EXPIRED


# --- stop, loss, NOTIFICATION -----------------------------------------------------------------


def test_manual_stop_sends_cease_with_shutdown_communication() -> None:
    pair = SessionPair()
    pair.establish()
    pair.a.session.stop(pair.now, reason="maintenance")
    pair.exchange()
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode) == (
        ErrorCode.CEASE, CeaseSubcode.ADMINISTRATIVE_SHUTDOWN)
    assert notification.data == b"\x0bmaintenance"
    assert state(pair.a.session) is State.IDLE and pair.a.session.next_deadline() is None
    assert pair.a.of(NotificationSent) == [NotificationSent(notification)]
    received = pair.b.of(NotificationReceived)
    assert received == [NotificationReceived(notification)]
    assert received[0].notification.shutdown_communication == "maintenance"
    assert state(pair.b.session) is State.IDLE
    assert pair.b.of(SessionDown)[-1].notification_received == notification
    # b did not ask to stop: it restarts after its IdleHoldTimer.
    assert Timer.IDLE_HOLD in pair.b.session.timers


def test_stop_before_connection_sends_nothing() -> None:
    session = Session(config(), now=0)
    session.start(0)
    session.stop(0)
    assert session.data_to_send() == b""
    assert state(session) is State.IDLE and CloseRequested() in session.next_events()


def test_connection_lost_goes_idle_without_notification() -> None:
    pair = SessionPair()
    pair.establish()
    pair.a.session.connection_lost(pair.now)
    pair.a.collect()
    down = pair.a.of(SessionDown)[-1]
    assert down.notification_sent is None and down.notification_received is None
    assert down.reason == "TCP connection lost"  # not the words of a failed connect
    assert state(pair.a.session) is State.IDLE
    assert not [m for m in pair.a.messages() if isinstance(m, Notification)]


def test_a_connection_that_could_not_be_made_is_reported_as_failed() -> None:
    session = Session(config(), now=0)
    session.start(0)
    session.connection_lost(0)
    downs = [event for event in session.next_events() if isinstance(event, SessionDown)]
    assert [down.reason for down in downs] == ["TCP connection failed"]


def test_connection_lost_in_open_sent_goes_back_to_active() -> None:
    pair = SessionPair()
    pair.connect()
    pair.a.session.connection_lost(pair.now)
    assert state(pair.a.session) is State.ACTIVE
    assert Timer.CONNECT_RETRY in pair.a.session.timers


# --- UPDATE handling ------------------------------------------------------------------------


def test_update_needing_session_reset_sends_code_3() -> None:
    pair = SessionPair()
    pair.establish()
    # Withdrawn Routes Length 200 runs past the message end: RFC 7606 §5.3 session reset.
    broken = raw_message(2, bytes.fromhex("00c8") + b"\x00" * 4)
    pair.a.session.receive_data(broken, pair.now)
    pair.a.collect()
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode) == (
        ErrorCode.UPDATE_MESSAGE_ERROR, UpdateMessageSubcode.MALFORMED_ATTRIBUTE_LIST)
    assert state(pair.a.session) is State.IDLE
    assert not pair.a.of(UpdateReceived)


def test_update_treated_as_withdraw_keeps_the_session() -> None:
    pair = SessionPair()
    pair.establish()
    bad_origin = bytes.fromhex("40010107")  # ORIGIN 7: RFC 7606 §7.1 treat-as-withdraw
    pair.a.session.receive_data(raw_update(bad_origin + AS_PATH_B + NEXT_HOP_B, NLRI_192_0_2),
                                pair.now)
    pair.a.collect()
    (event,) = pair.a.of(UpdateReceived)
    assert event.update.treat_as_withdraw and event.update.problems
    assert state(pair.a.session) is State.ESTABLISHED
    assert not pair.a.of(NotificationSent)


def test_end_of_rib_is_visible_on_the_event() -> None:
    pair = SessionPair()
    pair.establish()
    pair.a.session.receive_data(raw_update(b""), pair.now)
    pair.a.collect()
    assert pair.a.of(UpdateReceived)[-1].end_of_rib == IPV4_UNICAST


def test_send_update_only_when_established() -> None:
    pair = SessionPair()
    update = decode(VALID_UPDATE)
    assert isinstance(update, Update)
    with pytest.raises(LocalProtocolError):
        pair.a.session.send_update(update)
    pair.establish()
    pair.a.session.send_updates([update, update], pair.now)
    pair.exchange()
    received = pair.b.of(UpdateReceived)
    assert [event.update for event in received] == [update, update]


def test_large_update_needs_extended_message() -> None:
    prefixes = b"".join(bytes((24, 10, i // 256, i % 256)) for i in range(1200))
    raw = raw_update(ORIGIN_IGP + AS_PATH_B + NEXT_HOP_B, prefixes)
    assert len(raw) > 4096
    long_update = decode(raw, Negotiated(extended_message=True))
    assert isinstance(long_update, Update)
    plain = SessionPair()
    plain.establish()
    with pytest.raises(LocalProtocolError):
        plain.a.session.send_update(long_update)
    extended = SessionPair(config(extended_message=True), mirror(config(), extended_message=True))
    extended.establish()
    negotiation = extended.b.session.negotiation
    assert negotiation is not None and negotiation.receive_ctx.extended_message
    extended.a.session.send_update(long_update)
    extended.exchange()
    assert [e.update for e in extended.b.of(UpdateReceived)] == [long_update]
    assert state(extended.b.session) is State.ESTABLISHED


def test_large_update_without_extended_message_is_bad_length() -> None:
    pair = SessionPair()
    pair.establish()
    prefixes = b"".join(bytes((24, 10, i // 256, i % 256)) for i in range(1200))
    raw = raw_update(ORIGIN_IGP + AS_PATH_B + NEXT_HOP_B, prefixes)
    pair.a.session.receive_data(raw, pair.now)
    pair.a.collect()
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode) == (ErrorCode.MESSAGE_HEADER_ERROR, 2)
    assert notification.data == len(raw).to_bytes(2, "big") == raw[16:18]


@pytest.mark.parametrize("length", [19, 22])
def test_update_shorter_than_its_fixed_fields_is_bad_length(length: int) -> None:
    """RFC 4271 §6.1: an UPDATE under 23 octets is a Bad Message Length, whose data is the
    length field (the session's fast way for UPDATEs leaves such a message to decode())."""
    pair = SessionPair()
    pair.establish()
    raw = raw_message(2, bytes(length - 19))
    pair.a.session.receive_data(raw, pair.now)
    pair.a.collect()
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode) == (ErrorCode.MESSAGE_HEADER_ERROR, 2)
    assert notification.data == raw[16:18]
    assert state(pair.a.session) is State.IDLE


def updates_for(count: int) -> list[bytes]:
    """``count`` distinct clean UPDATEs (one /24 each)."""
    return [raw_update(ORIGIN_IGP + AS_PATH_B + NEXT_HOP_B, bytes((24, 10, 0, n)))
            for n in range(count)]


def test_max_messages_holds_the_rest_back_in_order() -> None:
    pair = SessionPair()
    pair.establish()
    a = pair.a.session
    raws = updates_for(5)
    a.receive_data(b"".join(raws), pair.now, max_messages=2)
    pair.a.collect()
    assert len(pair.a.of(UpdateReceived)) == 2 and a.waiting_messages == 3
    a.receive_data(b"", pair.now, max_messages=0)  # room for none: nothing moves
    pair.a.collect()
    assert len(pair.a.of(UpdateReceived)) == 2 and a.waiting_messages == 3
    a.receive_data(b"", pair.now, max_messages=2)
    a.receive_data(b"", pair.now)  # no cap: the rest
    pair.a.collect()
    assert a.waiting_messages == 0
    assert [e.update for e in pair.a.of(UpdateReceived)] == [decode(raw) for raw in raws]
    assert state(a) is State.ESTABLISHED


def test_a_bad_header_behind_waiting_messages_ends_the_session_after_them() -> None:
    """The UPDATEs before the broken header are handled first, as without a cap."""
    pair = SessionPair()
    pair.establish()
    a = pair.a.session
    raws = updates_for(3)
    bad_header = b"\xff" * 16 + (5).to_bytes(2, "big") + b"\x02"
    a.receive_data(b"".join(raws) + bad_header, pair.now, max_messages=1)
    assert state(a) is State.ESTABLISHED and a.waiting_messages == 2
    a.receive_data(b"", pair.now, max_messages=1)
    assert state(a) is State.ESTABLISHED and a.waiting_messages == 1
    a.receive_data(b"", pair.now, max_messages=1)
    pair.a.collect()
    assert len(pair.a.of(UpdateReceived)) == 3
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode) == (ErrorCode.MESSAGE_HEADER_ERROR, 2)
    assert state(a) is State.IDLE and a.waiting_messages == 0


def test_route_refresh_both_ways() -> None:
    pair = SessionPair()
    pair.establish()
    pair.a.session.send_route_refresh(IPV4_UNICAST)
    pair.exchange()
    (event,) = pair.b.of(RouteRefreshReceived)
    assert event.refresh.family == IPV4_UNICAST
    with pytest.raises(LocalProtocolError):
        pair.a.session.send_route_refresh(IPV4_MULTICAST)


# --- FSM errors (RFC 6608) ----------------------------------------------------------------------


def test_update_in_open_sent_is_fsm_error_subcode_1() -> None:
    pair = SessionPair()
    pair.connect()
    a = pair.a.session
    assert state(a) is State.OPEN_SENT
    a.receive_data(VALID_UPDATE, pair.now)
    pair.a.collect()
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode) == (
        ErrorCode.FSM_ERROR, FSMErrorSubcode.UNEXPECTED_MESSAGE_IN_OPEN_SENT)
    assert state(a) is State.IDLE and pair.a.of(CloseRequested)


def test_update_in_open_confirm_is_fsm_error_subcode_2() -> None:
    pair = SessionPair()
    pair.connect()
    pair.a.collect()
    pair.a.session.receive_data(pair.b.collect() + VALID_UPDATE, pair.now)
    pair.a.collect()
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode) == (
        ErrorCode.FSM_ERROR, FSMErrorSubcode.UNEXPECTED_MESSAGE_IN_OPEN_CONFIRM)


def test_open_in_established_is_fsm_error_subcode_3() -> None:
    pair = SessionPair()
    pair.establish()
    b_open = pair.b.messages()[0]
    assert isinstance(b_open, Open)
    pair.a.session.receive_data(b_open.encode(), pair.now)
    pair.a.collect()
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode) == (
        ErrorCode.FSM_ERROR, FSMErrorSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED)


def test_data_without_connection_is_dropped() -> None:
    session = Session(config(), now=0)
    session.receive_data(b"\x00" * 50, 0)
    assert state(session) is State.IDLE and session.data_to_send() == b""


def test_connection_in_idle_is_refused() -> None:
    session = Session(config(), now=0)
    session.connection_made(0)
    assert state(session) is State.IDLE and session.next_events() == [CloseRequested()]


def test_messages_before_a_broken_header_are_handled_then_the_session_ends() -> None:
    pair = SessionPair()
    pair.establish()
    update = Update(withdrawn=())  # the IPv4 End-of-RIB marker
    pair.a.session.receive_data(update.encode() + b"\x00" * 19, pair.now)
    pair.a.collect()
    assert [e.update for e in pair.a.of(UpdateReceived)] == [update]
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode) == (1, 1)  # Connection Not Synchronized
    assert state(pair.a.session) is State.IDLE


def test_stop_with_an_error_sends_its_notification() -> None:
    pair = SessionPair()
    pair.establish()
    limit = Cease("too many prefixes", b"\x00\x01\x01\x00\x00\x00\x02",
                  subcode=CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED)
    pair.a.session.stop(pair.now, error=limit)
    pair.exchange()
    notification = last_notification(pair.a.messages())
    assert (notification.code, notification.subcode, notification.data) == (
        6, 1, b"\x00\x01\x01\x00\x00\x00\x02")
    assert state(pair.a.session) is State.IDLE
