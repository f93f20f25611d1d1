"""What a :class:`~bgpwire.speaker.Speaker` tells the program, and the queue that holds it.

The queue is bounded and never pushes back on the sessions: when the program does not read
and it is full, the oldest event is dropped and :attr:`EventQueue.dropped` counts it. The
sessions keep running and the tables stay right either way: :meth:`Speaker.adj_rib_in
<bgpwire.speaker.Speaker.adj_rib_in>` is the truth, events are news about it. A program that
sees ``dropped`` grow should re-read the tables it cares about.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from bgpwire.families import Family
from bgpwire.fsm import Negotiation
from bgpwire.messages import Notification
from bgpwire.rib import Route, RouteKey

DEFAULT_MAX_EVENTS = 10_000


@dataclass(frozen=True, slots=True)
class SpeakerEvent:
    """Base of the speaker's events: each names the peer by its address."""

    address: str


@dataclass(frozen=True, slots=True)
class PeerUp(SpeakerEvent):
    negotiation: Negotiation


@dataclass(frozen=True, slots=True)
class PeerDown(SpeakerEvent):
    """The session went down; ``notification`` is the one sent or received, if any."""

    reason: str
    notification: Notification | None


@dataclass(frozen=True, slots=True)
class RoutesReceived(SpeakerEvent):
    """The peer's Adj-RIB-In changed: routes new or changed, and routes gone (withdrawn by the
    peer, or removed by the speaker: session down, stale routes swept, peer removed). Both are
    usually :class:`~bgpwire.rib.LazyRoutes`, which build each route only as it is read: a
    full table arriving or leaving costs nothing per route until someone looks. UPDATEs read
    together that only bring routes new to the table are told as one event; any other change
    (a route replaced, withdrawn, an End-of-RIB) comes in order, in events of its own."""

    announced: Sequence[Route]
    withdrawn: Sequence[Route]


@dataclass(frozen=True, slots=True)
class RoutesNotSent(SpeakerEvent):
    """Routes we originate that cannot go to this peer over its current session, and why
    (e.g. ``family ipv6-unicast not negotiated``, or no next hop of the route's family). Told
    once per route and reason; :meth:`Speaker.peer_status
    <bgpwire.speaker.Speaker.peer_status>` lists those still not sent."""

    keys: tuple[RouteKey, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class EndOfRIB(SpeakerEvent):
    family: Family


@dataclass(frozen=True, slots=True)
class PeerNotificationSent(SpeakerEvent):
    notification: Notification


@dataclass(frozen=True, slots=True)
class PeerNotificationReceived(SpeakerEvent):
    notification: Notification


class EventQueue:
    """A bounded queue of events with one reader; see the module docstring."""

    def __init__(self, max_events: int = DEFAULT_MAX_EVENTS) -> None:
        self.max_events = max_events
        self.dropped = 0
        """How many events were dropped, oldest first, because the queue was full."""
        self._queue: deque[SpeakerEvent] = deque()
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._queue)

    def put(self, event: SpeakerEvent) -> None:
        if len(self._queue) >= self.max_events:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(event)
        self._wake()

    def open(self) -> None:
        self._closed = False

    def close(self) -> None:
        """Let the reader finish once it has read what is queued."""
        self._closed = True
        self._wake()

    async def __aiter__(self) -> AsyncIterator[SpeakerEvent]:
        while True:
            if self._queue:
                yield self._queue.popleft()
            elif self._closed:
                return
            else:
                self._waiter = asyncio.get_running_loop().create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
