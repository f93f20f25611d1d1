"""One BGP peering over asyncio: :class:`PeerSession`.

Connection collisions (RFC 4271 §6.8). bgpwire runs one :class:`~bgpwire.fsm.Session` per
TCP connection. An incoming connection for a peer whose session has no connection and is not
making one simply becomes its connection. Otherwise it gets a second, passive session; once
that one has the peer's OPEN (OpenConfirm), :func:`~bgpwire.fsm.collision_winner` picks the
session to keep and the other is closed with Cease / Connection Collision Resolution. The
candidate's KEEPALIVE is held back until then, so the peer never sees a connection we close
reach Established. Only
one such candidate exists at a time; a further connection meanwhile is closed at once. The
program sees the events of the session it has; a candidate's events are shown only if it wins
(after the events of the session it replaced).
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import cast

from bgpwire.aio import sockopts
from bgpwire.aio.driver import MAX_EVENTS_PER_MESSAGE, SessionDriver
from bgpwire.aio.options import TransportOptions
from bgpwire.constants import RouteRefreshSubtype
from bgpwire.errors import LocalProtocolError, ProtocolError
from bgpwire.families import Family
from bgpwire.fsm import (
    Event,
    Negotiation,
    PeerConfig,
    Session,
    State,
    StateChanged,
    UpdateReceived,
    UpdateRunReceived,
    collision_winner,
)
from bgpwire.messages import Update

DEFAULT_MAX_QUEUED_EVENTS = 1024
DEFAULT_UPDATE_BATCH = 256
"""How many UPDATEs :meth:`PeerSession.take_updates` hands over at most, unless told."""
DEFAULT_OPTIONS = TransportOptions()


class PeerSession:
    """Drives the BGP session with the peer at ``remote_address`` (an IP address).

    Events go to a queue the program reads with :meth:`events`. Reading from the connection is
    paused while that queue cannot take what the next bytes may produce, so a peer sending
    faster than the program consumes makes TCP push back on it instead of growing memory;
    other peers are not affected. Events not caused by the peer's data (timers, local calls)
    are always queued, so the queue may pass ``max_queued_events`` by those few.

    With ``update_runs``, table UPDATEs read together come as one
    :class:`~bgpwire.fsm.UpdateRunReceived` instead of an ``UpdateReceived`` each (see
    :attr:`Session.update_runs <bgpwire.fsm.Session.update_runs>`). The queue's bound counts
    such an event once per UPDATE it holds, so it bounds what is held either way.
    """

    def __init__(self, config: PeerConfig, remote_address: str,
                 options: TransportOptions = DEFAULT_OPTIONS, *,
                 rng: Callable[[], float] | None = None,
                 max_queued_events: int = DEFAULT_MAX_QUEUED_EVENTS,
                 update_runs: bool = False) -> None:
        if max_queued_events < 2 * MAX_EVENTS_PER_MESSAGE:
            raise LocalProtocolError(
                f"max_queued_events {max_queued_events}: must be at least "
                f"{2 * MAX_EVENTS_PER_MESSAGE}")
        self.config = config
        self.options = options
        self.peer_address = sockopts.normalize_address(remote_address)
        """The peer's address, normalized (an IPv4-mapped IPv6 address becomes IPv4)."""
        if (options.local_address is not None
                and sockopts.family_of(options.local_address)
                != sockopts.family_of(self.peer_address)):
            raise LocalProtocolError(f"local_address {options.local_address}: not of the "
                                     f"address family of the peer {self.peer_address}")
        self.max_queued_events = max_queued_events
        self._update_runs = update_runs
        self._rng = rng if rng is not None else random.random
        self._session = Session(config, now=0.0, rng=self._rng, update_runs=update_runs)
        self._driver: SessionDriver | None = None
        self._candidate: SessionDriver | None = None
        self._held: list[Event] = []
        self._retired: list[SessionDriver] = []
        self._queue: deque[Event] = deque()
        self._queued = 0
        """What the queue holds as ``max_queued_events`` counts it (see the class docstring)."""
        self._peak = 0
        self._stopped = False
        self._waiters: list[asyncio.Future[None]] = []
        self._feed_scheduled = False

    # --- what the program reads ---------------------------------------------------------------

    @property
    def state(self) -> State:
        return self._session.state

    @property
    def negotiation(self) -> Negotiation | None:
        return self._session.negotiation

    @property
    def session(self) -> Session:
        """The state machine in charge (it changes when an incoming connection wins a collision)."""
        return self._session

    @property
    def local_address(self) -> tuple[str, int] | None:
        """Our (address, port) on the live connection."""
        return self._endpoint("sockname")

    @property
    def remote_address(self) -> tuple[str, int] | None:
        """The peer's (address, port) on the live connection."""
        return self._endpoint("peername")

    @property
    def update_runs(self) -> bool:
        """Whether table UPDATEs read together come as one ``UpdateRunReceived`` (fixed when
        the peer session is made)."""
        return self._update_runs

    @property
    def queued_events(self) -> int:
        """The events waiting, an ``UpdateRunReceived`` counting once per UPDATE in it."""
        return self._queued

    @property
    def peak_queued_events(self) -> int:
        """The most events the queue ever held, counted as :attr:`queued_events` counts."""
        return self._peak

    @property
    def reading_paused(self) -> bool:
        """Whether reading from the connection is paused because the queue is full."""
        return self._driver is not None and self._driver.reading_paused

    @property
    def last_error(self) -> BaseException | None:
        """Why the last connection attempt failed (socket options, refused, timed out)."""
        return self._driver.last_error if self._driver is not None else None

    def _endpoint(self, which: str) -> tuple[str, int] | None:
        transport = self._driver.transport if self._driver is not None else None
        info = transport.get_extra_info(which) if transport is not None else None
        if not info:
            return None
        return sockopts.normalize_address(info[0]), int(info[1])

    async def events(self) -> AsyncIterator[Event]:
        """Every event of the session, oldest first; ends when :meth:`stop` has run."""
        queue = self._queue
        while True:
            if queue:
                event = queue.popleft()
                self._queued -= (len(event.updates) if type(event) is UpdateRunReceived
                                 else 1)
                driver = self._driver
                if driver is not None and driver.reading_paused:
                    self._schedule_feed()
                yield event
            elif self._stopped:
                return
            else:
                await self._wait()

    def take_updates(self, limit: int = DEFAULT_UPDATE_BATCH) -> list[Update]:
        """The UPDATEs waiting at the head of the event queue, taken out of it: up to ``limit``,
        and up to the first event that is not an :class:`UpdateReceived`.

        For a program loading a table: after an ``UpdateReceived`` from :meth:`events`, the
        UPDATEs behind it can go to :meth:`AdjRibIn.apply_all <bgpwire.rib.AdjRibIn.apply_all>`
        together, without a trip through the event loop each. The order of events is kept. (An
        ``UpdateRunReceived`` is not taken: its ``updates`` go to ``apply_all`` as they are.)
        Loading a table through a Speaker took 4% less time with batches of 256 than with 64
        (median of 8 runs of ``bench/loopback.py --speaker``).
        """
        queue = self._queue
        taken: list[Update] = []
        while queue and len(taken) < limit and type(queue[0]) is UpdateReceived:
            taken.append(cast(UpdateReceived, queue.popleft()).update)
        self._queued -= len(taken)
        driver = self._driver
        if taken and driver is not None and driver.reading_paused:
            self._schedule_feed()
        return taken

    async def wait_established(self, timeout: float | None = None) -> Negotiation:
        """Wait until the session is Established; :class:`TimeoutError` after ``timeout``."""
        async with asyncio.timeout(timeout):
            while True:
                negotiation = self._session.negotiation
                if self._session.state is State.ESTABLISHED and negotiation is not None:
                    return negotiation
                await self._wait()

    # --- what the program does ----------------------------------------------------------------

    async def start(self) -> None:
        """Start the session: connect to the peer, or (passive) wait for it.

        For an active session the socket options are tried first, so a source address that
        cannot be bound or an MD5 key the kernel refuses raises
        :class:`~bgpwire.errors.LocalProtocolError` here rather than failing every attempt.
        """
        if not self.config.passive:
            sockopts.connecting_socket(self.peer_address, self.options).close()
        self.begin()

    def begin(self) -> None:
        """Start the state machine now, without the socket checks of :meth:`start`: for a
        passive session created while its peer's connection is being accepted."""
        driver = self._main()
        self._stopped = False
        self._session.start(driver.now())
        driver.pump()

    async def stop(self, reason: str = "", timeout: float = 5.0, *,
                   error: ProtocolError | None = None) -> None:
        """Cease / Administrative Shutdown with ``reason`` as the RFC 9003 Shutdown
        Communication (or the NOTIFICATION ``error`` carries); returns once it is written and
        the connection closed (or aborted after ``timeout``)."""
        self._stopped = True
        if self._candidate is not None:
            self._candidate.dispose()
            self._candidate = None
        driver = self._main()
        self._session.stop(driver.now(), reason=reason, error=error)
        driver.pump()
        for closing in (driver, *self._retired):
            await closing.wait_closed(timeout)
        self._retired.clear()
        self._wake()

    def abort(self) -> None:
        """Drop the connection at once, sending nothing: what the peer sees when this speaker
        crashes or restarts. A peer that negotiated Graceful Restart (RFC 4724) keeps our routes
        until we are back; the state machine learns of it as a lost connection."""
        transport = self._driver.transport if self._driver is not None else None
        if transport is not None:
            transport.abort()

    def send_update(self, update: Update) -> None:
        driver = self._main()
        self._session.send_update(update, driver.now())
        driver.pump()

    def send_updates(self, updates: Iterable[Update]) -> None:
        driver = self._main()
        self._session.send_updates(updates, driver.now())
        driver.pump()

    def send_route_refresh(self, family: Family,
                           subtype: RouteRefreshSubtype = RouteRefreshSubtype.NORMAL) -> None:
        self._session.send_route_refresh(family, subtype)
        self._main().pump()

    def accept(self, sock: socket.socket) -> None:
        """Take ``sock``, a connection the peer opened to us (the listener calls this)."""
        try:
            sockopts.set_nodelay(sock)
            sockopts.apply_ttl(sock, self.peer_address, self.options)
            sock.setblocking(False)
        except LocalProtocolError:
            sock.close()
            raise
        driver = self._main()
        if not driver.busy and not self._session.connected:
            driver.attach(sock)
            return
        if self._candidate is not None:
            sock.close()
            return
        candidate = Session(self.config, now=driver.now(), rng=self._rng,
                            update_runs=self._update_runs)
        self._held = []
        self._candidate = SessionDriver(candidate, self.peer_address, self.options,
                                        self._hold, self._room)
        self._candidate.hold_in_open_confirm = True
        candidate.start(driver.now(), passive=True)
        self._candidate.pump()
        self._candidate.attach(sock)

    # --- inside -------------------------------------------------------------------------------

    def _main(self) -> SessionDriver:
        if self._driver is None:
            self._driver = SessionDriver(self._session, self.peer_address, self.options,
                                         self._deliver, self._room)
        return self._driver

    def _room(self) -> int:
        return self.max_queued_events - self._queued

    def _deliver(self, events: list[Event]) -> None:
        self._queue.extend(events)
        self._queued += len(events)
        if self._update_runs:
            self._queued += sum(len(event.updates) - 1 for event in events
                                if type(event) is UpdateRunReceived)
        self._peak = max(self._peak, self._queued)
        if self._waiters:
            self._wake()

    def _hold(self, events: list[Event]) -> None:
        self._held.extend(events)
        if any(isinstance(event, StateChanged) and event.new in (State.OPEN_CONFIRM, State.IDLE)
               for event in events):
            asyncio.get_running_loop().call_soon(self._resolve_collision)

    def _resolve_collision(self) -> None:
        candidate, main = self._candidate, self._driver
        if candidate is None or main is None:
            return
        if candidate.session.state is not State.OPEN_CONFIRM:
            if candidate.session.state is State.IDLE:
                candidate.dispose()
                self._candidate = None
            return
        self._candidate = None
        now = main.now()
        try:
            winner = collision_winner(main.session, candidate.session)
        except LocalProtocolError:
            winner = main.session  # two incoming connections: keep the older one
        loser = candidate if winner is main.session else main
        if loser is candidate:
            candidate.drop_held_output()
        loser.session.close_collision(now)
        loser.pump()
        self._retired = [d for d in self._retired if d.closing] + [loser]
        loser.sink = _discard
        if loser is main:
            candidate.session.start(now, passive=self.config.passive)  # only restores passive
            candidate.sink = self._deliver
            self._driver, self._session = candidate, candidate.session
            candidate.hold_in_open_confirm = False
            candidate.pump()  # the KEEPALIVE held back
            candidate.feed()  # what arrived after the OPEN
            self._deliver(self._held)
        self._held = []

    def _schedule_feed(self) -> None:
        driver = self._driver
        if driver is not None and driver.reading_paused and not self._feed_scheduled:
            self._feed_scheduled = True
            asyncio.get_running_loop().call_soon(self._feed, driver)

    def _feed(self, driver: SessionDriver) -> None:
        self._feed_scheduled = False
        driver.feed()

    async def _wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


def _discard(events: list[Event]) -> None:
    """The sink of a collision loser: its last events are of no interest."""
