"""What a program embedding a :class:`~bgpwire.speaker.Speaker` can show about each peer.

A snapshot (:class:`PeerStatus`) taken on request: the state of the session, since when it is
up, why it last went down, what the OPEN exchange agreed on, message counters, and the routes
that could not be sent to the peer with the reason. Nothing here is computed in the background.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bgpwire.families import Family
from bgpwire.fsm import Negotiation, State
from bgpwire.rib import RouteKey

__all__ = ["Capabilities", "PeerStatus"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the session negotiated: features both sides announced (RFC 5492), and the
    peer's Graceful Restart capability (RFC 4724; the one that matters to us as helper)."""

    families: tuple[Family, ...]
    four_octet_as: bool
    graceful_restart: bool
    """The peer announced Graceful Restart (it keeps our routes across our restart, and we
    keep its routes across its restart if we announced it too)."""
    route_refresh: bool
    enhanced_route_refresh: bool
    extended_message: bool
    add_path_receive: frozenset[Family]
    add_path_send: frozenset[Family]
    hold_time: int
    keepalive_time: float

    @classmethod
    def of(cls, negotiation: Negotiation) -> Capabilities:
        return cls(
            families=negotiation.families,
            four_octet_as=negotiation.four_octet_as,
            graceful_restart=negotiation.graceful_restart is not None,
            route_refresh=negotiation.route_refresh,
            enhanced_route_refresh=negotiation.enhanced_route_refresh,
            extended_message=negotiation.extended_message,
            add_path_receive=negotiation.add_path_receive,
            add_path_send=negotiation.add_path_send,
            hold_time=negotiation.hold_time,
            keepalive_time=negotiation.keepalive_time,
        )


@dataclass(frozen=True, slots=True)
class PeerStatus:
    """One peer as :meth:`Speaker.peers <bgpwire.speaker.Speaker.peers>` and
    :meth:`Speaker.peer_status <bgpwire.speaker.Speaker.peer_status>` show it."""

    address: str
    state: State
    received: int
    """Routes in its Adj-RIB-In."""
    advertised: int
    """Routes in its Adj-RIB-Out (sent)."""
    established_at: float | None = None
    """When the session came up (``asyncio`` loop time), while it is up."""
    uptime: float | None = None
    """Seconds since then, when the snapshot was taken."""
    last_error: str = ""
    """Why the session last went down (with the NOTIFICATION sent or received) or why the
    last connection attempt failed; empty if nothing went wrong yet."""
    capabilities: Capabilities | None = None
    """What the session negotiated, while it is up."""
    updates_sent: int = 0
    updates_received: int = 0
    advertised_by_family: Mapping[Family, int] = field(default_factory=dict)
    unsent: Mapping[RouteKey, str] = field(default_factory=dict)
    """Routes we originate that this peer is not sent over the current session, and why."""
