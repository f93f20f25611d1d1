"""One peer of a :class:`~bgpwire.speaker.Speaker`: its session, its two tables, and the glue.

Everything protocol-shaped is done by :mod:`bgpwire.fsm` (the session), :mod:`bgpwire.aio`
(the connection) and :mod:`bgpwire.rib` (the tables and the export rules); this module only
wires session events to table calls and table output back to the session.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import replace
from ipaddress import ip_address
from typing import Any, cast

from bgpwire.aio import PeerSession, sockopts
from bgpwire.constants import RouteRefreshSubtype
from bgpwire.errors import LocalProtocolError
from bgpwire.families import Family
from bgpwire.fsm import (
    Event,
    Negotiation,
    NotificationReceived,
    NotificationSent,
    PeerConfig,
    RouteRefreshReceived,
    SessionDown,
    SessionEstablished,
    UpdateReceived,
    UpdateRunReceived,
)
from bgpwire.messages import Update
from bgpwire.messages.update_run import UpdateRun
from bgpwire.rib import (
    AdjRibIn,
    AdjRibOut,
    LazyRoutes,
    NextHopAddress,
    RibChange,
    RouteKey,
    max_prefixes_error,
    restart_deadline,
    retained_families,
    unpreserved_families,
)
from bgpwire.rib.compact import NO_ROUTES
from bgpwire.speaker.events import (
    EndOfRIB,
    EventQueue,
    PeerDown,
    PeerNotificationReceived,
    PeerNotificationSent,
    PeerUp,
    RoutesReceived,
)
from bgpwire.speaker.originations import LocalRoutes, Origination
from bgpwire.speaker.outbound import Outbound
from bgpwire.speaker.spec import PeerSpec

_LOSS_TURNS = 20
"""How many turns of the event loop :meth:`Peer.drop` waits for an aborted connection to be
reported lost before it stops the session anyway."""


class Peer:
    """The state the speaker keeps for one peer; see the module docstring."""

    def __init__(self, spec: PeerSpec, local_routes: LocalRoutes,
                 events: EventQueue, *, stale_time: float,
                 restarted: set[str] | None = None) -> None:
        self.spec = spec
        self.address = spec.address
        self.key = sockopts.normalize_address(spec.address)
        """The address the speaker keeps this peer (and its own routes) under."""
        self.adj_in = AdjRibIn(spec.config.local_as, max_prefixes=spec.max_prefixes)
        self.outbound = Outbound(spec, self.key, local_routes, events)
        self.session: PeerSession | None = None
        self.negotiation: Negotiation | None = None
        """The negotiation of the session while it is up (as far as this peer has seen)."""
        self.established_at: float | None = None
        """When (event loop time) the session came up, while it is up."""
        self.updates_received = 0
        """UPDATE messages received from the peer, all sessions."""
        self._events = events
        self._stale_time = stale_time
        self._stale: set[Family] = set()
        self._sweep: asyncio.TimerHandle | None = None
        self._restart: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._halted = False
        self._closing = False
        self._restarted = restarted
        """With a speaker that has just restarted: the addresses of the peers that have seen an
        OPEN with the Restart State bit since (None when the speaker did not restart)."""
        self.last_error = ""
        """Why the session last went down or could not start (a NOTIFICATION, a socket error)."""

    @property
    def adj_out(self) -> AdjRibOut:
        return self.outbound.adj_out

    # --- life -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start a new session (a stopped :class:`PeerSession` is not reused)."""
        await self._new_session().start()

    def start_passive(self) -> PeerSession:
        """Start a new passive session at once, for a connection being accepted right now."""
        session = self._new_session()
        session.begin()
        return session

    def _new_session(self) -> PeerSession:
        self._halted = False
        self._closing = False
        # Table UPDATEs come as runs: they go to the Adj-RIB-In as they are, and nothing
        # here needs them one by one.
        session = PeerSession(self._session_config(), self.address, self.spec.options,
                              update_runs=True)
        self.session = session
        self._spawn(self._consume(session))
        return session

    def _session_config(self) -> PeerConfig:
        """The spec's configuration; for the first session after the speaker restarted, with
        the Restart State bit and the Forwarding State bit of every family set (RFC 4724 §4.1:
        our forwarding went on while the control plane restarted)."""
        config = self.spec.session_config
        restart = config.graceful_restart
        if restart is None or self._restarted is None or self.key in self._restarted:
            return config
        return replace(config, graceful_restart=replace(
            restart, restarting=True, forwarding_state=frozenset(config.families)))

    async def _renew(self, old: PeerSession) -> None:
        """Replace a session whose OPEN said we had restarted, now that it went down, so the
        next OPEN does not say so again."""
        await old.stop()
        if old is self.session and not self._closing:
            await self._start_or_record()

    async def _start_or_record(self) -> None:
        try:
            await self.start()
        except LocalProtocolError as error:
            self.last_error = f"cannot start: {error}"

    async def drop(self) -> None:
        """Drop the connection without a NOTIFICATION, as a crash or restart would, then stop
        the session. A peer that negotiated Graceful Restart keeps our routes as stale
        (RFC 4724 §4.2) until we come back or its restart timer runs out."""
        self._closing = True
        self._cancel(self._restart)
        session = self.session
        if session is not None:
            session.abort()
            for _ in range(_LOSS_TURNS):  # the loss is seen within a turn or two of the loop
                if not session.session.connected:
                    break
                await asyncio.sleep(0)
        await self.stop()

    async def stop(self, reason: str = "") -> None:
        """Stop the session with an Administrative Shutdown and wait for its events to drain."""
        self._closing = True
        self._cancel(self._restart)
        self._restart = None
        if self.session is not None:
            await self.session.stop(reason)
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def discard(self) -> None:
        """The peer is removed: drop its timers and its routes (reported as withdrawn)."""
        self._cancel(self._sweep)
        self._cancel(self._restart)
        self._report(self.adj_in.clear())

    async def _consume(self, session: PeerSession) -> None:
        async for event in session.events():
            if session is not self.session:
                continue
            kind = type(event)
            if kind is not UpdateRunReceived and kind is not UpdateReceived:
                self._handle(session, event)
                continue
            if self._halted:  # UPDATEs, most events, are handled without a coroutine
                continue
            updates: Sequence[Update] = (
                cast(UpdateRunReceived, event).updates if kind is UpdateRunReceived
                else [cast(UpdateReceived, event).update, *session.take_updates()])
            over = self._received_batch(updates)
            if over is not None:
                await self._over_limit(session, over)

    def _handle(self, session: PeerSession, event: Event) -> None:
        if isinstance(event, SessionEstablished):
            self._up(session, event.negotiation)
        elif isinstance(event, SessionDown):
            self._down(session, event)
        elif isinstance(event, RouteRefreshReceived):
            if event.refresh.subtype == RouteRefreshSubtype.NORMAL:
                self.outbound.refresh(event.refresh.family)
        elif isinstance(event, NotificationSent):
            self._events.put(PeerNotificationSent(self.address, event.notification))
        elif isinstance(event, NotificationReceived):
            self._events.put(PeerNotificationReceived(self.address, event.notification))

    # --- receiving ----------------------------------------------------------------------------

    def _received(self, change: RibChange) -> Family | None:
        """Report what a received UPDATE changed; return the family now over its prefix
        limit, if any (the caller ends the session)."""
        self.updates_received += change.updates
        self._report(change)
        if change.end_of_rib is not None:
            if change.end_of_rib in self._stale:
                self._stale.discard(change.end_of_rib)
                self._report(self.adj_in.sweep_stale(change.end_of_rib))
            self._events.put(EndOfRIB(self.address, change.end_of_rib))
        return change.over_limit[0] if change.over_limit else None

    def _received_batch(self, updates: Sequence[Update]) -> Family | None:
        """Apply UPDATEs read together (a run, or one and those queued behind it) and report what
        they changed; return the family one of them put over its prefix limit, if any (the
        caller ends the session; :meth:`AdjRibIn.apply_all
        <bgpwire.rib.AdjRibIn.apply_all>` applies none after it). While stale routes wait for
        an End-of-RIB, the batch is cut after each End-of-RIB, so that the sweep it starts
        falls between the UPDATEs around it, as if they were applied one by one."""
        start = 0
        while start < len(updates):
            end = len(updates)
            if self._stale and type(updates) is not UpdateRun:  # a run has no End-of-RIB
                end = next((i + 1 for i in range(start, end)
                            if updates[i].end_of_rib is not None), end)
            over = self._received_all(self.adj_in.apply_all(updates[start:end]))
            if over is not None:
                return over
            start = end
        return None

    def _received_all(self, changes: list[RibChange]) -> Family | None:
        """:meth:`_received` for the changes of consecutive UPDATEs (:meth:`AdjRibIn.apply_all
        <bgpwire.rib.AdjRibIn.apply_all>`, which stops at the first that passes a limit).
        A run of changes that only added routes new to the table is reported as one
        :class:`RoutesReceived` with all their routes: while a table loads that is one event per
        batch instead of one per UPDATE, and the routes are the same (none of them can be in
        two changes of such a run, as the second would have replaced it)."""
        new_routes: list[LazyRoutes] = []
        over: Family | None = None
        for change in changes:
            if (type(change.announced) is LazyRoutes and not change.replaced
                    and not change.withdrawn and not change.rejected
                    and change.end_of_rib is None and not change.over_limit):
                self.updates_received += change.updates
                new_routes.append(change.announced)
                continue
            if new_routes:
                self._report_new(new_routes)
                new_routes = []
            over = self._received(change)
        if new_routes:
            self._report_new(new_routes)
        return over

    def _report_new(self, routes: list[LazyRoutes]) -> None:
        announced = LazyRoutes.joined(routes)
        if announced:
            self._events.put(RoutesReceived(self.address, announced, NO_ROUTES))

    async def _over_limit(self, session: PeerSession, family: Family) -> None:
        """End the session for too many prefixes (RFC 4486 §4), restart it later if asked."""
        limit = self.adj_in.limit(family)
        assert limit is not None
        self._halted = True
        await session.stop(error=max_prefixes_error(family, limit))
        if self.spec.max_prefix_restart is not None:
            self._restart = asyncio.get_running_loop().call_later(
                self.spec.max_prefix_restart,
                lambda: self._spawn(self._start_or_record()))

    def _report(self, change: RibChange) -> None:
        announced = change.announced
        if change.replaced:
            announced = (*announced, *(new for _, new in change.replaced))
        if announced or change.withdrawn:
            self._events.put(RoutesReceived(self.address, announced, change.withdrawn))

    def _down(self, session: PeerSession, event: SessionDown) -> None:
        negotiation, self.negotiation = self.negotiation, None
        self.established_at = None
        notification = event.notification_sent or event.notification_received
        self.last_error = _describe(event)
        restart = session.config.graceful_restart
        if (negotiation is not None and restart is not None and restart.restarting
                and not self._halted and not self._closing):
            self._spawn(self._renew(session))
        self.outbound.down()
        if negotiation is None:
            return  # never came up: nothing was exchanged
        self._events.put(PeerDown(self.address, event.reason, notification))
        kept = () if self._halted else retained_families(negotiation, notification)
        self._report(self.adj_in.clear(
            family for family in self.adj_in.counts() if family not in kept))
        if not kept:
            self._stale.clear()
            self._cancel(self._sweep)
            return
        self.adj_in.mark_stale(kept)
        self._stale.update(kept)
        loop = asyncio.get_running_loop()
        deadline = restart_deadline(negotiation, loop.time())
        self._arm_sweep(0.0 if deadline is None else deadline - loop.time())

    def _arm_sweep(self, delay: float) -> None:
        self._cancel(self._sweep)
        self._sweep = asyncio.get_running_loop().call_later(delay, self._sweep_all)

    def _sweep_all(self) -> None:
        self._sweep = None
        for family in sorted(self._stale):
            self._report(self.adj_in.sweep_stale(family))
        self._stale.clear()

    # --- sending ----------------------------------------------------------------------------

    def _up(self, session: PeerSession, negotiation: Negotiation) -> None:
        self.negotiation = negotiation
        self.established_at = asyncio.get_running_loop().time()
        if self._restarted is not None:
            self._restarted.add(self.key)
        self.adj_in.local_addresses = _own_addresses(session)
        self.adj_in.external = not negotiation.internal
        self._events.put(PeerUp(self.address, negotiation))
        if self._stale:
            self._cancel(self._sweep)
            for family in unpreserved_families(negotiation, self._stale):
                self._stale.discard(family)
                self._report(self.adj_in.sweep_stale(family))
            if self._stale:  # until the peer's End-of-RIB, or this long
                self._arm_sweep(self._stale_time)
        self.outbound.up(session, negotiation)

    def offer(self, keys: Iterable[RouteKey],
              shared: Sequence[Origination] | None = None) -> None:
        """The local routes of ``keys`` changed; see :meth:`Outbound.offer`."""
        self.outbound.offer(keys, shared)

    # --- helpers ----------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    def _cancel(handle: asyncio.TimerHandle | None) -> None:
        if handle is not None:
            handle.cancel()


def _describe(event: SessionDown) -> str:
    """``reason; NOTIFICATION sent CEASE/ADMINISTRATIVE_SHUTDOWN 'bye'`` style."""
    if event.notification_sent is not None:
        return f"{event.reason}; NOTIFICATION sent {event.notification_sent.describe()}"
    if event.notification_received is not None:
        return f"{event.reason}; NOTIFICATION received {event.notification_received.describe()}"
    return event.reason


def _own_addresses(session: PeerSession) -> frozenset[NextHopAddress]:
    """Our address on the session, which the peer must not give as a next hop; none when the
    peer is at that same address (a session over a loopback address between two programs on
    one host): then the next hop is the peer's own."""
    local, remote = session.local_address, session.remote_address
    if local is None or (remote is not None and remote[0] == local[0]):
        return frozenset()
    return frozenset((ip_address(local[0]),))
