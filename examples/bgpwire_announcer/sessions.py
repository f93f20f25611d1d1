"""What the announcer remembers about each session, from the speaker's events.

The speaker's tables are the truth about routes; this book keeps what only the events tell:
since when a session is up, what it negotiated, and the last reason it went down. It is keyed
by the peer's address as the speaker normalises it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bgpwire.aio import sockopts
from bgpwire.families import IPV4_UNICAST, IPV6_UNICAST, Family
from bgpwire.fsm import Negotiation
from bgpwire.messages import Notification
from bgpwire.speaker import (
    PeerDown,
    PeerNotificationReceived,
    PeerNotificationSent,
    PeerUp,
    SpeakerEvent,
)

_FAMILY_NAMES = {IPV4_UNICAST: "ipv4-unicast", IPV6_UNICAST: "ipv6-unicast"}


def family_name(family: Family) -> str:
    return _FAMILY_NAMES.get(family, f"afi{family.afi}-safi{family.safi}")


def capabilities_of(negotiation: Negotiation) -> tuple[str, ...]:
    """The negotiated session as short names: families, then options in a fixed order."""
    names = [family_name(family) for family in negotiation.families]
    if negotiation.four_octet_as:
        names.append("four-octet-as")
    if negotiation.route_refresh:
        names.append("route-refresh")
    if negotiation.enhanced_route_refresh:
        names.append("enhanced-route-refresh")
    if negotiation.extended_message:
        names.append("extended-message")
    if negotiation.graceful_restart is not None:
        names.append("graceful-restart")
    names.append(f"hold-time={negotiation.hold_time}")
    return tuple(names)


def describe_notification(notification: Notification) -> str:
    return notification.describe()


@dataclass(slots=True)
class SessionNews:
    up_since: float | None = None
    """``time.monotonic()`` when the session came up; ``None`` while it is down."""
    negotiation: Negotiation | None = None
    last_error: str | None = None
    ups: int = 0


class SessionBook:
    """Reads the speaker's events and keeps :class:`SessionNews` per peer address."""

    def __init__(self) -> None:
        self._news: dict[str, SessionNews] = {}

    def news(self, address: str) -> SessionNews:
        key = sockopts.normalize_address(address)
        return self._news.setdefault(key, SessionNews())

    def forget(self, address: str) -> None:
        self._news.pop(sockopts.normalize_address(address), None)

    def note(self, event: SpeakerEvent) -> None:
        news = self.news(event.address)
        if isinstance(event, PeerUp):
            news.up_since = time.monotonic()
            news.negotiation = event.negotiation
            news.ups += 1
        elif isinstance(event, PeerDown):
            news.up_since = None
            news.negotiation = None
            news.last_error = event.reason
            if event.notification is not None:
                news.last_error = f"{event.reason}: {describe_notification(event.notification)}"
        elif isinstance(event, PeerNotificationReceived):
            news.last_error = f"NOTIFICATION received: {describe_notification(event.notification)}"
        elif isinstance(event, PeerNotificationSent):
            news.last_error = f"NOTIFICATION sent: {describe_notification(event.notification)}"

    def uptime(self, address: str) -> float | None:
        since = self.news(address).up_since
        return None if since is None else time.monotonic() - since
