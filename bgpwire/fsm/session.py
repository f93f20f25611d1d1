"""One BGP session over one TCP connection, as a sans-IO state machine (RFC 4271 §8).

The session never touches a socket or a clock. The program driving it (the adapter):

* calls the input methods: :meth:`Session.start`, :meth:`~Session.stop`,
  :meth:`~Session.connection_made`, :meth:`~Session.connection_failed`,
  :meth:`~Session.connection_lost`, :meth:`~Session.receive_data`,
  :meth:`~Session.handle_timers`, :meth:`~Session.output_blocked` /
  :meth:`~Session.output_drained`, and the ``send_*`` methods; each takes ``now`` in seconds
  on any monotonic clock;
* after each call writes :meth:`~Session.data_to_send` to the connection, acts on
  :meth:`~Session.next_events` (:class:`ConnectRequested`, :class:`CloseRequested`, the news),
  and arms one timer for :meth:`~Session.next_deadline`;
* to bound what it holds for its program, passes ``max_messages`` to
  :meth:`~Session.receive_data` and stops reading the connection while
  :attr:`~Session.waiting_messages` is not zero.

Every :class:`~bgpwire.errors.ProtocolError` met while handling input (a malformed message, a
bad OPEN, a message the state does not expect, an expired hold timer) is answered here: the
NOTIFICATION is queued, :class:`NotificationSent`, :class:`CloseRequested` and the change to
Idle are reported, and nothing is raised to the caller. Only misuse of the API raises
(:class:`~bgpwire.errors.LocalProtocolError`), e.g. sending an UPDATE before Established.

A NOTIFICATION is always preceded by our OPEN: RFC 4271's SendNOTIFICATIONwithoutOPEN is false,
so an error found while DelayOpen runs sends OPEN, then NOTIFICATION (as FRR does).

RFC 9687 SendHoldTimer: the session cannot see the socket, so the adapter reports it. It calls
:meth:`~Session.output_blocked` when the transport stops accepting writes (asyncio's
``pause_writing``) and :meth:`~Session.output_drained` when it accepts them again
(``resume_writing``). The timer runs while output is blocked; if it expires the session ends
with Send Hold Timer Expired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

from bgpwire.constants import (
    HEADER_LENGTH,
    CeaseSubcode,
    ErrorCode,
    FSMErrorSubcode,
    MessageType,
    RouteRefreshSubtype,
)
from bgpwire.errors import (
    ErrorAction,
    FSMError,
    HoldTimerExpired,
    LocalProtocolError,
    ProtocolError,
    SendHoldTimerExpired,
    UpdateMessageError,
)
from bgpwire.families import Family
from bgpwire.fsm.core import SessionCore
from bgpwire.fsm.events import (
    CloseRequested,
    ConnectRequested,
    NotificationReceived,
    RouteRefreshReceived,
    SessionEstablished,
    UpdateReceived,
    UpdateRunReceived,
)
from bgpwire.fsm.states import State, Timer
from bgpwire.fsm.table import (
    FSM_ERROR_SUBCODE,
    MESSAGE_INPUTS,
    TIMER_INPUTS,
    TRANSITIONS,
    Action,
    Input,
)
from bgpwire.messages import Keepalive, Message, Notification, Open, RouteRefresh, Update, decode
from bgpwire.messages.header import MIN_LENGTH
from bgpwire.messages.update import decode_update
from bgpwire.messages.update_run import UpdateRun, take_table_updates
from bgpwire.slots import slot_setters

_MESSAGE_INPUTS: dict[type[Message], Input] = {
    Open: Input.BGP_OPEN,
    Update: Input.UPDATE_MSG,
    Notification: Input.NOTIF_MSG,
    Keepalive: Input.KEEPALIVE_MSG,
    RouteRefresh: Input.ROUTE_REFRESH_MSG,
}

_Handler = Callable[["Session", float, Input, "Message | None"], State]


class Session(SessionCore):
    """The finite state machine of one peering; see the module docstring for the contract.

    ``Session(config, now=..., rng=..., update_runs=False)``: ``rng`` returns floats in [0, 1)
    for the RFC 4271 §10 jitter; pass a seeded ``random.Random(seed).random`` (or a constant) to
    be deterministic. With ``update_runs``, table UPDATEs received together come as one
    :class:`UpdateRunReceived` (see :attr:`update_runs`).
    """

    # --- inputs -----------------------------------------------------------------------------

    def start(self, now: float, *, passive: bool | None = None) -> None:
        """ManualStart: connect to the peer, or with ``passive`` wait for it in Active.

        ``passive`` overrides the configuration; a speaker accepting a connection for a peer
        it has no session with starts a new one with ``passive=True``.
        """
        if passive is not None:
            self._passive = passive
        self._running = True
        self.fire(Input.MANUAL_START, now)

    def stop(
        self,
        now: float,
        *,
        reason: str = "",
        subcode: CeaseSubcode = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN,
        error: ProtocolError | None = None,
    ) -> None:
        """ManualStop: Cease with ``subcode`` and, for a shutdown or reset, ``reason`` as the
        RFC 9003 Shutdown Communication. The session stays in Idle until started again.

        ``error`` sends the NOTIFICATION it carries instead: for what the program decides about
        what it received, such as a prefix limit (Cease subcode 1 with the RFC 4486 data).
        """
        self._running = False
        self._failures = 0
        if self.state is State.IDLE:
            self._timers.clear()
            return
        if error is not None:
            self._stop_notification = Notification.from_error(error)
            reason = reason or error.reason
        elif subcode in (CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, CeaseSubcode.ADMINISTRATIVE_RESET):
            self._stop_notification = Notification.shutdown(reason, subcode)
        else:
            self._stop_notification = Notification(ErrorCode.CEASE, subcode)
        self._stop_reason = reason or f"stopped: {subcode.name}"
        self.fire(Input.MANUAL_STOP, now)

    def close_collision(self, now: float) -> None:
        """Close the loser of a collision: Cease / Connection Collision Resolution."""
        self.stop(now, reason="connection collision",
                  subcode=CeaseSubcode.CONNECTION_COLLISION_RESOLUTION)

    def connection_made(self, now: float, *, outbound: bool | None = None) -> None:
        """The TCP connection is up. ``outbound`` defaults to "we were in Connect"."""
        self.outbound = self.state is State.CONNECT if outbound is None else outbound
        self.fire(Input.TCP_CONNECTION_CONFIRMED, now)

    def connection_failed(self, now: float) -> None:
        """The connection attempt failed (refused, unreachable, timed out)."""
        self.connected = False
        self.fire(Input.TCP_CONNECTION_FAILS, now)

    def connection_lost(self, now: float) -> None:
        """The TCP connection closed or broke."""
        self.connection_failed(now)

    def receive_data(self, data: bytes, now: float, max_messages: int | None = None) -> None:
        """Bytes from the connection; dropped when there is no connection.

        ``max_messages`` caps how many messages this call handles. The others are cut out of
        the stream already and wait, in order, for the next call, which may bring no data
        (:attr:`waiting_messages` says how many wait). An adapter that holds the events for its
        program in a bounded queue passes the room it has: a message makes at most three
        events. A header error behind waiting messages is reported once they are handled.
        """
        if not self.connected:
            return
        raw_messages = self._waiting
        if data and self._framer.error is None:  # a broken stream is not read further
            try:
                cut = self._framer.feed(data)
            except ProtocolError as err:
                if not raw_messages:
                    self._fail(err, now)
                    return
                cut = []  # the framer keeps the error: reported after the waiting messages
            raw_messages = raw_messages + cut if raw_messages else cut
        if max_messages is not None and len(raw_messages) > max_messages:
            self._waiting = raw_messages[max_messages:]
            raw_messages = raw_messages[:max_messages]
        else:
            self._waiting = []
        clean_updates = 0
        runs: tuple[list[bytes], list[bytes], list[int]] | None = (
            ([], [], []) if self.update_runs else None)
        index, count = 0, len(raw_messages)
        while index < count:
            if not self.connected:
                return
            ctx = self._recv_ctx  # read for each message: an OPEN among them sets it
            raw = raw_messages[index]
            if (runs is not None and self.state is _ESTABLISHED and raw[18] == _UPDATE_TYPE
                    and len(raw) > _FIRST_ATTRIBUTE and not raw[19] and not raw[20]
                    and len(raw) > _FIRST_ATTRIBUTE + ((raw[21] << 8) | raw[22])):
                # An UPDATE with a classic NLRI field and no withdrawn routes, as every one
                # take_table_updates takes, tested here first: calling it for each message of
                # an IPv6 table cost 4.6% of the instructions of loading one, this test 2%.
                taken = take_table_updates(raw_messages, index, ctx, runs)
                if taken > index:
                    self._events.append(UpdateRunReceived(UpdateRun(ctx, *runs)))
                    runs = ([], [], [])
                    clean_updates += taken - index
                    index = taken
                    continue
            index += 1
            try:
                if raw[18] == _UPDATE_TYPE and len(raw) >= _MIN_UPDATE:
                    # Most messages. The framer has checked the marker and the length, so
                    # the body goes straight to its decoder, without decode() checking the
                    # header again (the cost of a call and a dozen tests per UPDATE).
                    message: Message = decode_update(raw, HEADER_LENGTH, ctx)
                else:
                    message = decode(raw, ctx)
            except ProtocolError as err:
                self._fail(err, now)
                return
            if type(message) is Update and not message.problems and self.state is _ESTABLISHED:
                # The transition a table is made of, a hundred thousand times over: what
                # _do_update_received does for a clean UPDATE, without the table lookups (an
                # import-time check below holds the two together). The HoldTimer restarts
                # once for the chunk: every message of it arrived at ``now``.
                self._events.append(_update_received(message))
                clean_updates += 1
                continue
            self.fire(_MESSAGE_INPUTS[type(message)], now, message)
        if clean_updates and self.state is _ESTABLISHED:
            self._restart_hold(now)
        broken = self._framer.error
        if broken is not None and self.connected and not self._waiting:
            self._fail(broken, now)  # good messages, then a bad header

    @property
    def waiting_messages(self) -> int:
        """Messages received whole and held back by ``max_messages`` of :meth:`receive_data`:
        while there are any, the adapter should stop reading the connection."""
        return len(self._waiting)

    def handle_timers(self, now: float) -> None:
        """Fire every timer whose deadline is at or before ``now``, earliest first."""
        while True:
            due = [(deadline, timer) for timer, deadline in self._timers.items()
                   if deadline <= now]
            if not due:
                return
            _, timer = min(due, key=lambda item: item[0])
            del self._timers[timer]
            self.fire(TIMER_INPUTS[timer], now)

    def output_blocked(self, now: float) -> None:
        """The transport stopped accepting data: start the SendHoldTimer (RFC 9687)."""
        if not self.connected or Timer.SEND_HOLD in self._timers:
            return
        hold = self.negotiation.hold_time if self.negotiation else self.config.hold_time
        interval = self.config.send_hold_time_for(hold)
        if interval > 0:
            self._timers[Timer.SEND_HOLD] = now + interval

    def output_drained(self, now: float) -> None:
        """The transport accepts data again: stop the SendHoldTimer."""
        self._timers.pop(Timer.SEND_HOLD, None)

    def send_update(self, update: Update, now: float | None = None) -> None:
        """Queue an UPDATE; with ``now``, also restart the KeepaliveTimer (RFC 4271 §8.2.2)."""
        negotiation = self._require_established("send an UPDATE")
        self._out += update.encode(self._send_ctx)
        if now is not None and negotiation.hold_time:
            self._arm_keepalive(now)

    def send_updates(self, updates: Iterable[Update], now: float | None = None) -> None:
        for update in updates:
            self.send_update(update, now)

    def send_route_refresh(
        self, family: Family, subtype: RouteRefreshSubtype = RouteRefreshSubtype.NORMAL
    ) -> None:
        """Ask the peer to resend ``family`` (RFC 2918), or mark a refresh (RFC 7313)."""
        negotiation = self._require_established("send a ROUTE-REFRESH")
        if not negotiation.route_refresh:
            raise LocalProtocolError("route refresh was not negotiated")
        if subtype is not RouteRefreshSubtype.NORMAL and not negotiation.enhanced_route_refresh:
            raise LocalProtocolError("enhanced route refresh was not negotiated")
        if family not in negotiation.families:
            raise LocalProtocolError(f"family {family} was not negotiated")
        self._out += RouteRefresh(family, subtype).encode(self._send_ctx)

    def fire(self, inp: Input, now: float, message: Message | None = None) -> None:
        """Feed one RFC 4271 §8.1 input; every method above comes down to this.

        Public so that the transition table can be exercised input by input.
        """
        if inp in MESSAGE_INPUTS and (message is None or _MESSAGE_INPUTS[type(message)] != inp):
            raise LocalProtocolError(f"{inp.name} needs the matching message")
        transition = TRANSITIONS[(self.state, inp)]
        try:
            new_state = _HANDLERS[transition.action](self, now, inp, message)
        except ProtocolError as err:
            self._fail(err, now)
            return
        self._set_state(new_state)

    # --- actions (one per table.Action) ------------------------------------------------------

    def _do_ignore(self, now: float, inp: Input, message: Message | None) -> State:
        return self.state

    def _do_refuse_connection(self, now: float, inp: Input, message: Message | None) -> State:
        self._events.append(CloseRequested())
        return State.IDLE

    def _do_start(self, now: float, inp: Input, message: Message | None) -> State:
        self._timers.pop(Timer.IDLE_HOLD, None)
        if self._passive:
            return State.ACTIVE
        self._events.append(ConnectRequested())
        self._arm_connect_retry(now)
        return State.CONNECT

    def _do_stop(self, now: float, inp: Input, message: Message | None) -> State:
        notification = self._stop_notification or Notification.shutdown()
        sent = self._send_notification(notification)
        return self._go_idle(now, self._stop_reason, sent=sent,
                             failure=False)

    def _do_retry_connect(self, now: float, inp: Input, message: Message | None) -> State:
        if self._passive:
            return self.state
        if self.connected:
            self._events.append(CloseRequested())
            self.connected = False
            self._reset_connection_state()
        self._events.append(ConnectRequested())
        self._arm_connect_retry(now)
        return State.CONNECT

    def _do_connection_made(self, now: float, inp: Input, message: Message | None) -> State:
        self.connected = True
        self._reset_connection_state()
        self._timers.pop(Timer.CONNECT_RETRY, None)
        if self.config.delay_open_time > 0:
            self._timers[Timer.DELAY_OPEN] = now + self.config.delay_open_time
            return self.state
        return self._do_send_open(now, inp, message)

    def _do_send_open(self, now: float, inp: Input, message: Message | None) -> State:
        self._timers.pop(Timer.DELAY_OPEN, None)
        self._send_open()
        self._timers[Timer.HOLD] = now + self.config.open_hold_time
        return State.OPEN_SENT

    def _do_connection_failed(self, now: float, inp: Input, message: Message | None) -> State:
        self.connected = False
        delay_open = Timer.DELAY_OPEN in self._timers
        if self.state is State.OPEN_SENT or (self.state is State.CONNECT and delay_open):
            self._reset_connection_state()
            if not self._passive:
                self._arm_connect_retry(now)
            return State.ACTIVE
        # RFC 4271 has one event (18) for a connection that could not be made and one that was
        # lost; the reason tells them apart for whoever reads it.
        lost = self.state in (State.OPEN_CONFIRM, State.ESTABLISHED)
        reason = "TCP connection lost" if lost else "TCP connection failed"
        return self._go_idle(now, reason, close=False)

    def _do_open_while_delayed(self, now: float, inp: Input, message: Message | None) -> State:
        if not self.connected:
            raise FSMError("OPEN received without a connection")
        self._timers.pop(Timer.DELAY_OPEN, None)
        self._send_open()
        self._accept_open(cast(Open, message), now)
        return State.OPEN_CONFIRM

    def _do_open_received(self, now: float, inp: Input, message: Message | None) -> State:
        self._accept_open(cast(Open, message), now)
        return State.OPEN_CONFIRM

    def _do_establish(self, now: float, inp: Input, message: Message | None) -> State:
        if self.negotiation is None:
            raise FSMError("KEEPALIVE before the OPEN exchange")
        self._failures = 0
        self._restart_hold(now)
        self._set_state(State.ESTABLISHED)
        self._events.append(SessionEstablished(self.negotiation))
        return State.ESTABLISHED

    def _do_keepalive_received(self, now: float, inp: Input, message: Message | None) -> State:
        self._restart_hold(now)
        return self.state

    def _do_update_received(self, now: float, inp: Input, message: Message | None) -> State:
        message = cast(Update, message)
        if message.action >= ErrorAction.AFI_SAFI_DISABLE:
            worst = max(message.problems, key=lambda problem: problem.action)
            raise UpdateMessageError(worst.reason, worst.data, subcode=worst.subcode)
        self._restart_hold(now)
        self._events.append(_update_received(message))
        return self.state

    def _do_route_refresh_received(
        self, now: float, inp: Input, message: Message | None
    ) -> State:
        message = cast(RouteRefresh, message)
        negotiation = self.negotiation
        # RFC 2918 §4 and RFC 7313 §5: a family not negotiated or an unknown subtype is ignored.
        if (negotiation is not None and message.family in negotiation.families
                and message.is_known_subtype):
            self._events.append(RouteRefreshReceived(message))
        return self.state

    def _do_notification_received(
        self, now: float, inp: Input, message: Message | None
    ) -> State:
        message = cast(Notification, message)
        self._events.append(NotificationReceived(message))
        return self._go_idle(now, f"peer sent {message.describe()}", received=message)

    def _do_send_keepalive(self, now: float, inp: Input, message: Message | None) -> State:
        self._out += Keepalive().encode()
        self._arm_keepalive(now)
        return self.state

    def _do_hold_expired(self, now: float, inp: Input, message: Message | None) -> State:
        raise HoldTimerExpired("no KEEPALIVE or UPDATE within the hold time")

    def _do_send_hold_expired(self, now: float, inp: Input, message: Message | None) -> State:
        raise SendHoldTimerExpired("the peer has not read our messages within the send hold time")

    def _do_fsm_error(self, now: float, inp: Input, message: Message | None) -> State:
        subcode = FSM_ERROR_SUBCODE.get(self.state, FSMErrorSubcode.UNSPECIFIED)
        raise FSMError(f"{inp.value} is unexpected in {self.state.value}", subcode=subcode)


_HANDLERS: dict[Action, _Handler] = {
    action: getattr(Session, f"_do_{action.value}") for action in Action
}
"""Each action of the transition table and the method that carries it out."""

_ESTABLISHED = State.ESTABLISHED
_UPDATE_TYPE = int(MessageType.UPDATE)
_MIN_UPDATE = MIN_LENGTH[MessageType.UPDATE]
_FIRST_ATTRIBUTE = _MIN_UPDATE  # where the attributes start when no route is withdrawn
if TRANSITIONS[(_ESTABLISHED, Input.UPDATE_MSG)].action is not Action.UPDATE_RECEIVED:
    raise ImportError("Session.receive_data's way for clean UPDATEs no longer matches the table")

_new = object.__new__
(_set_update,) = slot_setters(UpdateReceived, "update").values()


def _update_received(update: Update) -> UpdateReceived:
    """``UpdateReceived(update)`` without the frozen dataclass constructor (one per UPDATE)."""
    event: UpdateReceived = _new(UpdateReceived)
    _set_update(event, update)
    return event
