"""The BGP session state machine, sans-IO (RFC 4271 §8).

Nothing here opens a socket, reads a clock or starts a thread: time comes in as ``now``
arguments and I/O requests go out as events (see :mod:`bgpwire.fsm.session`).
"""

from bgpwire.fsm.checks import ROLE_PAIRS, check_open
from bgpwire.fsm.collision import Initiator, collision_winner, resolve_collision
from bgpwire.fsm.config import GracefulRestartConfig, PeerConfig
from bgpwire.fsm.events import (
    CloseRequested,
    ConnectRequested,
    Event,
    NotificationReceived,
    NotificationSent,
    RouteRefreshReceived,
    SessionDown,
    SessionEstablished,
    StateChanged,
    UpdateReceived,
    UpdateRunReceived,
)
from bgpwire.fsm.negotiate import Negotiation, build_open, negotiate
from bgpwire.fsm.session import Session
from bgpwire.fsm.states import State, Timer
from bgpwire.fsm.table import TRANSITIONS, Action, Input, Transition

__all__ = [
    "ROLE_PAIRS",
    "TRANSITIONS",
    "Action",
    "CloseRequested",
    "ConnectRequested",
    "Event",
    "GracefulRestartConfig",
    "Initiator",
    "Input",
    "Negotiation",
    "NotificationReceived",
    "NotificationSent",
    "PeerConfig",
    "RouteRefreshReceived",
    "Session",
    "SessionDown",
    "SessionEstablished",
    "State",
    "StateChanged",
    "Timer",
    "Transition",
    "UpdateReceived",
    "UpdateRunReceived",
    "build_open",
    "check_open",
    "collision_winner",
    "negotiate",
    "resolve_collision",
]
