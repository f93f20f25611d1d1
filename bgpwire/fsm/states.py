"""The six states of the BGP finite state machine (RFC 4271 §8.2.2)."""

from __future__ import annotations

from enum import Enum


class SingletonEnum(Enum):
    """An enum hashed by identity.

    Its members are singletons that compare by identity, so identity is a hash that agrees
    with equality; :class:`Enum`'s own hash runs Python code, and the state machine looks up
    states, inputs and timers in dicts for every message it handles.
    """

    __hash__ = object.__hash__


class State(SingletonEnum):
    """Where a session stands. Only ``ESTABLISHED`` exchanges routes."""

    IDLE = "Idle"
    CONNECT = "Connect"
    ACTIVE = "Active"
    OPEN_SENT = "OpenSent"
    OPEN_CONFIRM = "OpenConfirm"
    ESTABLISHED = "Established"


class Timer(SingletonEnum):
    """The timers a session runs; each expiry is one FSM input (RFC 4271 §8.1.3, RFC 9687)."""

    CONNECT_RETRY = "ConnectRetryTimer"
    HOLD = "HoldTimer"
    KEEPALIVE = "KeepaliveTimer"
    DELAY_OPEN = "DelayOpenTimer"
    IDLE_HOLD = "IdleHoldTimer"
    SEND_HOLD = "SendHoldTimer"
