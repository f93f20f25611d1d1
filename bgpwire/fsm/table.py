"""The state machine as data: (State, Input) -> Transition (RFC 4271 §8.2.2).

Rule 1: every transition lives in :data:`TRANSITIONS`. The session only carries out the named
action; a test walks the whole table, and a diagram can be drawn from it.

The table is total: every (state, input) pair has an entry. The explicit entries below are the
RFC's transitions; the rest are filled in by three defaults that follow the RFC's "any other
event" clauses:

* in Idle, every other input is ignored;
* a start input outside Idle is ignored;
* anything else is a Finite State Machine Error: NOTIFICATION (RFC 6608 subcode for the state)
  if a connection is up, then Idle.

Errors in received messages (RFC 4271 BGPHeaderErr, BGPOpenMsgErr, UpdateMsgErr) are not inputs
here: they arrive as raised :class:`~bgpwire.errors.ProtocolError` and take the session to Idle
with the NOTIFICATION the error carries, from any state.
"""

from __future__ import annotations

from typing import NamedTuple

from bgpwire.constants import FSMErrorSubcode
from bgpwire.fsm.states import SingletonEnum, State, Timer


class Input(SingletonEnum):
    """The inputs of RFC 4271 §8.1, named in Python style (event numbers in comments)."""

    MANUAL_START = "ManualStart"  # 1
    MANUAL_STOP = "ManualStop"  # 2
    AUTOMATIC_START = "AutomaticStart"  # 3
    CONNECT_RETRY_TIMER_EXPIRES = "ConnectRetryTimer_Expires"  # 9
    HOLD_TIMER_EXPIRES = "HoldTimer_Expires"  # 10
    KEEPALIVE_TIMER_EXPIRES = "KeepaliveTimer_Expires"  # 11
    DELAY_OPEN_TIMER_EXPIRES = "DelayOpenTimer_Expires"  # 12
    IDLE_HOLD_TIMER_EXPIRES = "IdleHoldTimer_Expires"  # 13
    SEND_HOLD_TIMER_EXPIRES = "SendHoldTimer_Expires"  # RFC 9687
    TCP_CONNECTION_CONFIRMED = "TcpConnectionConfirmed"  # 16, 17
    TCP_CONNECTION_FAILS = "TcpConnectionFails"  # 18
    BGP_OPEN = "BGPOpen"  # 19, 20
    NOTIF_MSG = "NotifMsg"  # 24, 25
    KEEPALIVE_MSG = "KeepAliveMsg"  # 26
    UPDATE_MSG = "UpdateMsg"  # 27
    ROUTE_REFRESH_MSG = "RouteRefreshMsg"  # RFC 2918


class Action(SingletonEnum):
    """What the session does for a transition; each has one handler in the session."""

    IGNORE = "ignore"
    REFUSE_CONNECTION = "refuse_connection"
    START = "start"
    STOP = "stop"
    RETRY_CONNECT = "retry_connect"
    CONNECTION_MADE = "connection_made"
    CONNECTION_FAILED = "connection_failed"
    SEND_OPEN = "send_open"
    OPEN_WHILE_DELAYED = "open_while_delayed"
    OPEN_RECEIVED = "open_received"
    ESTABLISH = "establish"
    KEEPALIVE_RECEIVED = "keepalive_received"
    UPDATE_RECEIVED = "update_received"
    ROUTE_REFRESH_RECEIVED = "route_refresh_received"
    NOTIFICATION_RECEIVED = "notification_received"
    SEND_KEEPALIVE = "send_keepalive"
    HOLD_EXPIRED = "hold_expired"
    SEND_HOLD_EXPIRED = "send_hold_expired"
    FSM_ERROR = "fsm_error"


class Transition(NamedTuple):
    """The action to run and the states it may leave the session in."""

    action: Action
    targets: tuple[State, ...]


TIMER_INPUTS: dict[Timer, Input] = {
    Timer.CONNECT_RETRY: Input.CONNECT_RETRY_TIMER_EXPIRES,
    Timer.HOLD: Input.HOLD_TIMER_EXPIRES,
    Timer.KEEPALIVE: Input.KEEPALIVE_TIMER_EXPIRES,
    Timer.DELAY_OPEN: Input.DELAY_OPEN_TIMER_EXPIRES,
    Timer.IDLE_HOLD: Input.IDLE_HOLD_TIMER_EXPIRES,
    Timer.SEND_HOLD: Input.SEND_HOLD_TIMER_EXPIRES,
}
"""The input each timer's expiry feeds the machine."""

MESSAGE_INPUTS = frozenset({
    Input.BGP_OPEN, Input.NOTIF_MSG, Input.KEEPALIVE_MSG, Input.UPDATE_MSG,
    Input.ROUTE_REFRESH_MSG,
})

FSM_ERROR_SUBCODE: dict[State, FSMErrorSubcode] = {
    State.OPEN_SENT: FSMErrorSubcode.UNEXPECTED_MESSAGE_IN_OPEN_SENT,
    State.OPEN_CONFIRM: FSMErrorSubcode.UNEXPECTED_MESSAGE_IN_OPEN_CONFIRM,
    State.ESTABLISHED: FSMErrorSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED,
}
"""RFC 6608 §4; other states use ``UNSPECIFIED``."""

_S = State
_I = Input
_A = Action
_WAITING = (_S.CONNECT, _S.ACTIVE)
_UP = (_S.OPEN_SENT, _S.OPEN_CONFIRM, _S.ESTABLISHED)

_EXPLICIT: dict[tuple[State, Input], Transition] = {
    (_S.IDLE, _I.MANUAL_START): Transition(_A.START, _WAITING),
    (_S.IDLE, _I.AUTOMATIC_START): Transition(_A.START, _WAITING),
    (_S.IDLE, _I.IDLE_HOLD_TIMER_EXPIRES): Transition(_A.START, _WAITING),
    (_S.IDLE, _I.TCP_CONNECTION_CONFIRMED): Transition(_A.REFUSE_CONNECTION, (_S.IDLE,)),
    # Connect and Active: waiting for TCP, or for the peer's OPEN while DelayOpen runs.
    **{
        (state, inp): transition
        for state in _WAITING
        for inp, transition in {
            _I.CONNECT_RETRY_TIMER_EXPIRES: Transition(_A.RETRY_CONNECT, (_S.CONNECT, state)),
            _I.TCP_CONNECTION_CONFIRMED: Transition(_A.CONNECTION_MADE, (state, _S.OPEN_SENT)),
            _I.TCP_CONNECTION_FAILS: Transition(_A.CONNECTION_FAILED, (_S.ACTIVE, _S.IDLE)),
            _I.DELAY_OPEN_TIMER_EXPIRES: Transition(_A.SEND_OPEN, (_S.OPEN_SENT,)),
            _I.BGP_OPEN: Transition(_A.OPEN_WHILE_DELAYED, (_S.OPEN_CONFIRM,)),
            _I.NOTIF_MSG: Transition(_A.NOTIFICATION_RECEIVED, (_S.IDLE,)),
        }.items()
    },
    (_S.OPEN_SENT, _I.BGP_OPEN): Transition(_A.OPEN_RECEIVED, (_S.OPEN_CONFIRM,)),
    (_S.OPEN_SENT, _I.TCP_CONNECTION_FAILS): Transition(_A.CONNECTION_FAILED, (_S.ACTIVE,)),
    (_S.OPEN_CONFIRM, _I.KEEPALIVE_MSG): Transition(_A.ESTABLISH, (_S.ESTABLISHED,)),
    (_S.OPEN_CONFIRM, _I.KEEPALIVE_TIMER_EXPIRES):
        Transition(_A.SEND_KEEPALIVE, (_S.OPEN_CONFIRM,)),
    (_S.OPEN_CONFIRM, _I.TCP_CONNECTION_FAILS): Transition(_A.CONNECTION_FAILED, (_S.IDLE,)),
    (_S.ESTABLISHED, _I.KEEPALIVE_MSG): Transition(_A.KEEPALIVE_RECEIVED, (_S.ESTABLISHED,)),
    (_S.ESTABLISHED, _I.UPDATE_MSG): Transition(_A.UPDATE_RECEIVED, (_S.ESTABLISHED,)),
    (_S.ESTABLISHED, _I.ROUTE_REFRESH_MSG):
        Transition(_A.ROUTE_REFRESH_RECEIVED, (_S.ESTABLISHED,)),
    (_S.ESTABLISHED, _I.KEEPALIVE_TIMER_EXPIRES):
        Transition(_A.SEND_KEEPALIVE, (_S.ESTABLISHED,)),
    (_S.ESTABLISHED, _I.TCP_CONNECTION_FAILS): Transition(_A.CONNECTION_FAILED, (_S.IDLE,)),
    **{(state, _I.HOLD_TIMER_EXPIRES): Transition(_A.HOLD_EXPIRED, (_S.IDLE,)) for state in _UP},
    **{(state, _I.NOTIF_MSG): Transition(_A.NOTIFICATION_RECEIVED, (_S.IDLE,)) for state in _UP},
    **{
        (state, _I.SEND_HOLD_TIMER_EXPIRES): Transition(_A.SEND_HOLD_EXPIRED, (_S.IDLE,))
        for state in (*_WAITING, *_UP)
    },
    **{(state, _I.MANUAL_STOP): Transition(_A.STOP, (_S.IDLE,)) for state in (*_WAITING, *_UP)},
}

_IGNORE_IDLE = Transition(_A.IGNORE, (_S.IDLE,))
_FSM_ERROR = Transition(_A.FSM_ERROR, (_S.IDLE,))


def _default(state: State, inp: Input) -> Transition:
    if state is State.IDLE:
        return _IGNORE_IDLE
    if inp in (Input.MANUAL_START, Input.AUTOMATIC_START):
        return Transition(Action.IGNORE, (state,))
    return _FSM_ERROR


TRANSITIONS: dict[tuple[State, Input], Transition] = {
    (state, inp): _EXPLICIT.get((state, inp)) or _default(state, inp)
    for state in State
    for inp in Input
}
"""Every (state, input) pair and what it does."""
