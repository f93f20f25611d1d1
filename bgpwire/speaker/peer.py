"""One peer of a :class:`~bgpwire.speaker.Speaker`: its session, its two tables, and the glue.

Everything protocol-shaped is done by :mod:`bgpwire.fsm` (the session), :mod:`bgpwire.aio`
(the connection) and :mod:`bgpwire.rib` (the tables and the export rules); this module only
wires session events to table calls and table output back to the session.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterable
from dataclasses import replace
from typing import Any

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
    State,
    UpdateReceived,
)
from bgpwire.messages import Update
from bgpwire.rib import (
    AdjRibIn,
    AdjRibOut,
    RibChange,
    Route,
    RouteKey,
    end_of_rib,
    max_prefixes_error,
    restart_deadline,
    retained_families,
    unpreserved_families,
)
from bgpwire.speaker.events import (
    EndOfRIB,
    EventQueue,
    PeerDown,
    PeerNotificationReceived,
    PeerNotificationSent,
    PeerUp,
    RoutesReceived,
)
from bgpwire.speaker.export import Exporter
from bgpwire.speaker.originations import LocalRoutes, Origination
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
        self.adj_out = AdjRibOut()
        self.session: PeerSession | None = None
        self.negotiation: Negotiation | None = None
        """The negotiation of the session while it is up (as far as this peer has seen)."""
        self.exporter: Exporter | None = None
        """How our routes are exported over the session while it is up."""
        self.unsent: dict[RouteKey, str] = {}
        """Originated routes this peer is not sent over the current session, and why."""
        self._local = local_routes
        self._events = events
        self._stale_time = stale_time
        self._stale: set[Family] = set()
        self._sweep: asyncio.TimerHandle | None = None
        self._restart: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._flush_scheduled = False
        self._halted = False
        self._closing = False
        self._restarted = restarted
        """With a speaker that has just restarted: the addresses of the peers that have seen an
        OPEN with the Restart State bit since (None when the speaker did not restart)."""
        self.last_error = ""
        """Why the session last went down or could not start (a NOTIFICATION, a socket error)."""

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
        session = PeerSession(self._session_config(), self.address, self.spec.options)
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
            if session is self.session:
                await self._handle(session, event)

    async def _handle(self, session: PeerSession, event: Event) -> None:
        if isinstance(event, UpdateReceived):
            if not self._halted:
                await self._received(session, event.update)
        elif isinstance(event, SessionEstablished):
            self._up(session, event.negotiation)
        elif isinstance(event, SessionDown):
            self._down(session, event)
        elif isinstance(event, RouteRefreshReceived):
            if event.refresh.subtype == RouteRefreshSubtype.NORMAL:
                self._refresh(session, event.refresh.family)
        elif isinstance(event, NotificationSent):
            self._events.put(PeerNotificationSent(self.address, event.notification))
        elif isinstance(event, NotificationReceived):
            self._events.put(PeerNotificationReceived(self.address, event.notification))

    # --- receiving ----------------------------------------------------------------------------

    async def _received(self, session: PeerSession, update: Update) -> None:
        change = self.adj_in.apply(update)
        self._report(change)
        if change.end_of_rib is not None:
            if change.end_of_rib in self._stale:
                self._stale.discard(change.end_of_rib)
                self._report(self.adj_in.sweep_stale(change.end_of_rib))
            self._events.put(EndOfRIB(self.address, change.end_of_rib))
        if change.over_limit:
            family = change.over_limit[0]
            limit = self.adj_in.limit(family)
            assert limit is not None
            self._halted = True
            await session.stop(error=max_prefixes_error(family, limit))
            if self.spec.max_prefix_restart is not None:
                self._restart = asyncio.get_running_loop().call_later(
                    self.spec.max_prefix_restart,
                    lambda: self._spawn(self._start_or_record()))

    def _report(self, change: RibChange) -> None:
        announced = change.announced + tuple(new for _, new in change.replaced)
        if announced or change.withdrawn:
            self._events.put(RoutesReceived(self.address, announced, change.withdrawn))

    def _down(self, session: PeerSession, event: SessionDown) -> None:
        negotiation, self.negotiation = self.negotiation, None
        self.exporter = None
        notification = event.notification_sent or event.notification_received
        self.last_error = (event.reason if notification is None
                           else f"{event.reason}: {notification}")
        restart = session.config.graceful_restart
        if (negotiation is not None and restart is not None and restart.restarting
                and not self._halted and not self._closing):
            self._spawn(self._renew(session))
        self.adj_out.clear()
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
        if self._restarted is not None:
            self._restarted.add(self.key)
        local = session.local_address
        self.exporter = Exporter(self.spec, negotiation, None if local is None else local[0])
        self.unsent.clear()
        self._events.put(PeerUp(self.address, negotiation))
        if self._stale:
            self._cancel(self._sweep)
            for family in unpreserved_families(negotiation, self._stale):
                self._stale.discard(family)
                self._report(self.adj_in.sweep_stale(family))
            if self._stale:  # until the peer's End-of-RIB, or this long
                self._arm_sweep(self._stale_time)
        self.adj_out.clear()
        self.adj_out.announce(self._exported(self._local.for_peer(self.key)))
        self._send(session, self._updates(negotiation))
        session.send_updates(end_of_rib(family) for family in negotiation.families)

    def offer(self, keys: Iterable[RouteKey]) -> None:
        """The local routes of ``keys`` changed (announced anew, or withdrawn if gone)."""
        if self.negotiation is None:
            return  # sent when the session comes up
        wanted = []
        for key in keys:
            origination = self._local.wanted(self.key, key)
            if origination is None:
                self.unsent.pop(key, None)
                self.adj_out.withdraw((key,))
            else:
                wanted.append(origination)
        exported = self._exported(wanted)
        self.adj_out.announce(exported)
        if len(exported) < len(wanted):  # no longer sendable: withdrawn if it was sent
            sent = {route.key for route in exported}
            self.adj_out.withdraw(o.key for o in wanted if o.key not in sent)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        session, negotiation = self.session, self.negotiation
        if session is not None and negotiation is not None:
            self._send(session, self._updates(negotiation))

    def _refresh(self, session: PeerSession, family: Family) -> None:
        """RFC 2918 §4 / RFC 7313 §4: the Adj-RIB-Out of ``family`` again."""
        negotiation = self.negotiation
        if negotiation is None or family not in negotiation.families:
            return
        self._send(session, self._updates(negotiation))  # pending changes first
        again = [update for update in self.adj_out.all_updates(
            negotiation.send_ctx, ipv4_multiprotocol=self.spec.ipv4_multiprotocol)
            if _family_of(update) == family]
        if negotiation.enhanced_route_refresh:
            session.send_route_refresh(family, RouteRefreshSubtype.BEGIN_OF_ROUTE_REFRESH)
            self._send(session, again)
            session.send_route_refresh(family, RouteRefreshSubtype.END_OF_ROUTE_REFRESH)
        else:
            self._send(session, again)

    def _updates(self, negotiation: Negotiation) -> list[Update]:
        return self.adj_out.updates(
            negotiation.send_ctx, ipv4_multiprotocol=self.spec.ipv4_multiprotocol)

    @staticmethod
    def _send(session: PeerSession, updates: list[Update]) -> None:
        if updates and session.state is State.ESTABLISHED:
            session.send_updates(updates)

    def _exported(self, originations: Iterable[Origination]) -> list[Route]:
        """The routes as this peer must receive them; those that cannot go are kept in
        :attr:`unsent` with the reason (see :mod:`bgpwire.speaker.export`)."""
        exporter = self.exporter
        if exporter is None:
            return []
        routes, unsent = exporter.export(originations)
        for route in routes:
            self.unsent.pop(route.key, None)
        self.unsent.update(unsent)
        return routes

    # --- helpers ----------------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    def _cancel(handle: asyncio.TimerHandle | None) -> None:
        if handle is not None:
            handle.cancel()


def _family_of(update: Update) -> Family | None:
    keys = update.announced() or update.withdrawals()
    return keys[0][0] if keys else update.end_of_rib

