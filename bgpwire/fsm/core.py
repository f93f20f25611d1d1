"""State, outputs and shared steps of a session; the inputs and actions are in session.py."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from bgpwire.constants import HEADER_LENGTH
from bgpwire.context import DEFAULT_CONTEXT
from bgpwire.errors import LocalProtocolError, ProtocolError
from bgpwire.framer import Framer
from bgpwire.fsm.checks import check_open
from bgpwire.fsm.config import DEFAULT_OPEN_HOLD_TIME, PeerConfig
from bgpwire.fsm.events import CloseRequested, Event, NotificationSent, SessionDown, StateChanged
from bgpwire.fsm.negotiate import Negotiation, build_open, negotiate
from bgpwire.fsm.states import State, Timer
from bgpwire.messages import Keepalive, Notification, Open

OPEN_HOLD_TIME = DEFAULT_OPEN_HOLD_TIME
"""The default of :attr:`PeerConfig.open_hold_time`."""


class SessionCore:
    """What every part of a :class:`~bgpwire.fsm.session.Session` shares.

    ``rng`` returns floats in [0, 1) for the RFC 4271 §10 jitter; pass a seeded
    ``random.Random(seed).random`` (or a constant) for deterministic runs.
    """

    def __init__(
        self, config: PeerConfig, *, now: float, rng: Callable[[], float] | None = None,
        update_runs: bool = False,
    ) -> None:
        self.config = config
        self.update_runs = update_runs
        """Whether UPDATEs received together that a table is made of are told as one
        :class:`~bgpwire.fsm.events.UpdateRunReceived` instead of an ``UpdateReceived`` each:
        for a program that applies them to an :class:`~bgpwire.rib.AdjRibIn` and does not need
        each as an object (over loopback a full table loads in about 70% of the time)."""
        self.state = State.IDLE
        self.negotiation: Negotiation | None = None
        """Set once the peer's OPEN is accepted; cleared when the session goes down."""
        self.connected = False
        self.outbound = False
        """Whether the current connection was initiated by us (for collision resolution)."""
        self.created = now
        self._rng = rng if rng is not None else random.random
        self._passive = config.passive
        self._running = False
        self._failures = 0
        self._open_sent = False
        self._stop_notification: Notification | None = None
        self._stop_reason = "stopped"
        self._out = bytearray()
        self._events: list[Event] = []
        self._timers: dict[Timer, float] = {}
        self._framer = Framer()
        self._waiting: list[bytes] = []
        """Messages cut out of the stream but not handled yet (see ``receive_data``)."""
        self._recv_ctx = self._send_ctx = DEFAULT_CONTEXT
        self._local_open = build_open(config)

    # --- outputs ----------------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        """Everything queued for the peer since the last call."""
        data = bytes(self._out)
        self._out.clear()
        return data

    def next_events(self) -> list[Event]:
        """Every event since the last call, oldest first."""
        events, self._events = self._events, []
        return events

    def next_deadline(self) -> float | None:
        """When :meth:`handle_timers` must next be called, or ``None`` if no timer runs."""
        return min(self._timers.values(), default=None)

    @property
    def timers(self) -> dict[Timer, float]:
        """A copy of the running timers and their deadlines."""
        return dict(self._timers)

    @property
    def failures(self) -> int:
        """Failures since the last Established (or stop); drives the IdleHold backoff."""
        return self._failures

    # --- helpers ----------------------------------------------------------------------------

    def _require_established(self, what: str) -> Negotiation:
        if self.state is not State.ESTABLISHED or self.negotiation is None:
            raise LocalProtocolError(f"cannot {what} in state {self.state.value}")
        return self.negotiation

    def _jitter(self, interval: float) -> float:
        if not self.config.jitter:
            return interval
        return interval * (0.75 + 0.25 * self._rng())

    def _set_state(self, new: State) -> None:
        if new is not self.state:
            self._events.append(StateChanged(self.state, new))
            self.state = new

    def _send_open(self) -> None:
        self._out += self._local_open.encode()
        self._open_sent = True

    def _arm_keepalive(self, now: float) -> None:
        if self.negotiation is not None and self.negotiation.hold_time:
            self._timers[Timer.KEEPALIVE] = now + self._jitter(self.negotiation.keepalive_time)

    def _restart_hold(self, now: float) -> None:
        if self.negotiation is not None and self.negotiation.hold_time:
            self._timers[Timer.HOLD] = now + self.negotiation.hold_time

    def _arm_connect_retry(self, now: float) -> None:
        self._timers[Timer.CONNECT_RETRY] = now + self._jitter(self.config.connect_retry_time)

    def _reset_connection_state(self) -> None:
        self._framer = Framer()
        self._waiting = []
        self._recv_ctx = self._send_ctx = DEFAULT_CONTEXT
        self.negotiation = None
        self._open_sent = False
        for timer in (Timer.HOLD, Timer.KEEPALIVE, Timer.DELAY_OPEN, Timer.SEND_HOLD):
            self._timers.pop(timer, None)

    def _send_notification(self, notification: Notification) -> Notification | None:
        """Queue ``notification`` (after our OPEN if not sent yet); ``None`` if no connection."""
        if not self.connected:
            return None
        if not self._open_sent:
            self._send_open()
        limit = self._send_ctx.max_message_length - HEADER_LENGTH - 2
        if len(notification.data) > limit:
            notification = Notification(notification.code, notification.subcode,
                                        notification.data[:limit])
        self._out += notification.encode(self._send_ctx)
        self._events.append(NotificationSent(notification))
        return notification

    def _fail(self, err: ProtocolError, now: float) -> None:
        sent = self._send_notification(Notification.from_error(err))
        self._go_idle(now, err.reason, sent=sent)

    def _go_idle(
        self,
        now: float,
        reason: str,
        *,
        sent: Notification | None = None,
        received: Notification | None = None,
        failure: bool = True,
        close: bool | None = None,
    ) -> State:
        if close if close is not None else (self.connected or self.state is State.CONNECT):
            self._events.append(CloseRequested())
        self.connected = False
        self._reset_connection_state()
        self._timers.clear()
        old = self.state
        self._set_state(State.IDLE)
        if old is not State.IDLE:
            self._events.append(SessionDown(reason, sent, received))
        if failure and self._running and self.config.auto_restart:
            self._failures += 1
            delay = self._jitter(self.config.idle_hold_delay(self._failures))
            self._timers[Timer.IDLE_HOLD] = now + delay
        return State.IDLE

    def _accept_open(self, remote: Open, now: float) -> None:
        check_open(remote, self.config)
        negotiated = negotiate(self._local_open, remote)
        negotiation = self.negotiation = replace(  # the configured keepalive_time, if shorter
            negotiated, keepalive_time=self.config.keepalive_for(negotiated.hold_time))
        self._recv_ctx, self._send_ctx = negotiation.receive_ctx, negotiation.send_ctx
        self._framer.max_length = negotiation.receive_ctx.max_message_length
        self._out += Keepalive().encode()
        self._timers.pop(Timer.HOLD, None)
        self._restart_hold(now)
        self._arm_keepalive(now)
