"""What a :class:`~bgpwire.fsm.session.Session` tells the program driving it.

Events are values, drained with :meth:`Session.next_events`. Two of them are requests to the I/O
adapter rather than news: :class:`ConnectRequested` (open a TCP connection to the peer) and
:class:`CloseRequested` (write what :meth:`Session.data_to_send` still holds, then close).
"""

from __future__ import annotations

from dataclasses import dataclass

from bgpwire.families import Family
from bgpwire.fsm.negotiate import Negotiation
from bgpwire.fsm.states import State
from bgpwire.messages.notification import Notification
from bgpwire.messages.route_refresh import RouteRefresh
from bgpwire.messages.update import Update
from bgpwire.messages.update_run import UpdateRun


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every session event."""


@dataclass(frozen=True, slots=True)
class StateChanged(Event):
    old: State
    new: State


@dataclass(frozen=True, slots=True)
class SessionEstablished(Event):
    """The OPEN exchange is complete; ``negotiation`` says what both sides agreed on."""

    negotiation: Negotiation


@dataclass(frozen=True, slots=True)
class SessionDown(Event):
    """The session left a non-Idle state for Idle.

    At most one of the two NOTIFICATION fields is set: the one we sent to end the session, or the
    one the peer ended it with. Both are ``None`` when the connection was lost or never came up.
    """

    reason: str
    notification_sent: Notification | None = None
    notification_received: Notification | None = None


@dataclass(frozen=True, slots=True)
class UpdateReceived(Event):
    """An UPDATE, as decoded: ``update.problems`` holds what RFC 7606 found wrong with it.

    When ``update.treat_as_withdraw`` is true, every prefix it announces must be handled as
    withdrawn. ``end_of_rib`` is the family this UPDATE marks End-of-RIB for (RFC 4724 §2).
    """

    update: Update

    @property
    def end_of_rib(self) -> Family | None:
        return self.update.end_of_rib


@dataclass(frozen=True, slots=True)
class UpdateRunReceived(Event):
    """UPDATEs received one after the other, each an IPv4 UPDATE of the kind a table is made of
    and without problems (see :func:`~bgpwire.messages.update_run.take_table_updates`), told
    together. Only a session whose ``update_runs`` is set makes it, in place of an
    :class:`UpdateReceived` for each; ``updates`` gives each as an
    :class:`~bgpwire.messages.Update` when read, and goes to
    :meth:`AdjRibIn.apply_all <bgpwire.rib.AdjRibIn.apply_all>` as it is.
    """

    updates: UpdateRun


@dataclass(frozen=True, slots=True)
class RouteRefreshReceived(Event):
    """The peer asks for ``refresh.family`` again, or marks a refresh's start or end (RFC 7313)."""

    refresh: RouteRefresh


@dataclass(frozen=True, slots=True)
class NotificationSent(Event):
    notification: Notification


@dataclass(frozen=True, slots=True)
class NotificationReceived(Event):
    notification: Notification


@dataclass(frozen=True, slots=True)
class ConnectRequested(Event):
    """Open a TCP connection to the peer; a new request replaces an attempt still pending."""


@dataclass(frozen=True, slots=True)
class CloseRequested(Event):
    """Write out :meth:`Session.data_to_send`, then close the TCP connection (or the attempt)."""
