"""The six states of the BGP finite state machine (RFC 4271 §8.2.2)."""

from __future__ import annotations

from enum import Enum


class State(Enum):
    """Where a session stands. Only ``ESTABLISHED`` exchanges routes."""

    IDLE = "Idle"
    CONNECT = "Connect"
    ACTIVE = "Active"
    OPEN_SENT = "OpenSent"
    OPEN_CONFIRM = "OpenConfirm"
    ESTABLISHED = "Established"


class Timer(Enum):
    """The timers a session runs; each expiry is one FSM input (RFC 4271 §8.1.3, RFC 9687)."""

    CONNECT_RETRY = "ConnectRetryTimer"
    HOLD = "HoldTimer"
    KEEPALIVE = "KeepaliveTimer"
    DELAY_OPEN = "DelayOpenTimer"
    IDLE_HOLD = "IdleHoldTimer"
    SEND_HOLD = "SendHoldTimer"
