"""The sending half of one peer: our routes into its Adj-RIB-Out, and UPDATEs onto its session.

Changes are collected and sent once per turn of the event loop, so a program announcing
thousands of routes in one go causes a few full UPDATEs rather than one UPDATE per route.
Routes that cannot go to this peer are kept with the reason (:attr:`Outbound.unsent`) and
reported as a :class:`~bgpwire.speaker.events.RoutesNotSent` event when that changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from bgpwire.aio import PeerSession
from bgpwire.constants import RouteRefreshSubtype
from bgpwire.families import Family
from bgpwire.fsm import Negotiation, State
from bgpwire.messages import Update
from bgpwire.rib import AdjRibOut, Route, RouteKey, end_of_rib
from bgpwire.speaker.events import EventQueue, RoutesNotSent
from bgpwire.speaker.export import Exporter
from bgpwire.speaker.originations import LocalRoutes, Origination
from bgpwire.speaker.spec import PeerSpec

__all__ = ["Outbound"]


class Outbound:
    """What we send to one peer; see the module docstring."""

    def __init__(self, spec: PeerSpec, key: str, local_routes: LocalRoutes,
                 events: EventQueue) -> None:
        self.spec = spec
        self.key = key
        self.adj_out = AdjRibOut()
        self.exporter: Exporter | None = None
        """How our routes are exported over the session while it is up."""
        self.unsent: dict[RouteKey, str] = {}
        """Originated routes this peer is not sent over the current session, and why."""
        self.updates_sent = 0
        """UPDATE messages sent to the peer (End-of-RIB markers included), all sessions."""
        self._local = local_routes
        self._events = events
        self._session: PeerSession | None = None
        self._negotiation: Negotiation | None = None
        self._flush_scheduled = False

    # --- the session ------------------------------------------------------------------------

    def up(self, session: PeerSession, negotiation: Negotiation) -> None:
        """The session is Established: send every route, then End-of-RIB per family."""
        self._session, self._negotiation = session, negotiation
        local = session.local_address
        self.exporter = Exporter(self.spec, negotiation, None if local is None else local[0])
        self.unsent.clear()
        self.adj_out.clear()
        self.adj_out.announce(self._exported(self._local.for_peer(self.key)))
        self._send(self._updates())
        self._send([end_of_rib(family) for family in negotiation.families])

    def down(self) -> None:
        """The session ended: the peer holds nothing of ours any more (unless it keeps our
        routes as stale, which the next :meth:`up` settles by sending them all again)."""
        self._session = self._negotiation = self.exporter = None
        self.adj_out.clear()
        self.unsent.clear()

    # --- changes ----------------------------------------------------------------------------

    def offer(self, keys: Iterable[RouteKey],
              shared: Sequence[Origination] | None = None) -> None:
        """The local routes of ``keys`` changed (announced anew, or withdrawn if gone).

        ``shared``: the routes of ``keys`` were just originated to every peer, here they are;
        a peer without routes of its own takes them as they are, without looking each up.
        """
        if self.exporter is None:
            return  # sent when the session comes up
        if shared is not None and not self._local.has_own(self.key):
            wanted = list(shared)
        else:
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
        if self.exporter is not None:
            self._send(self._updates())

    def refresh(self, family: Family) -> None:
        """RFC 2918 §4 / RFC 7313 §4: the Adj-RIB-Out of ``family`` again."""
        session, negotiation = self._session, self._negotiation
        if session is None or negotiation is None or family not in negotiation.families:
            return
        self._send(self._updates())  # pending changes first
        again = [update for update in self.adj_out.all_updates(
            negotiation.send_ctx, ipv4_multiprotocol=self.spec.ipv4_multiprotocol)
            if _family_of(update) == family]
        if negotiation.enhanced_route_refresh:
            session.send_route_refresh(family, RouteRefreshSubtype.BEGIN_OF_ROUTE_REFRESH)
            self._send(again)
            session.send_route_refresh(family, RouteRefreshSubtype.END_OF_ROUTE_REFRESH)
        else:
            self._send(again)

    def advertised(self) -> dict[Family, int]:
        """How many routes of each family the peer has been sent (and not withdrawn)."""
        counts: dict[Family, int] = {}
        for route in self.adj_out:
            counts[route.family] = counts.get(route.family, 0) + 1
        return counts

    # --- inside -----------------------------------------------------------------------------

    def _updates(self) -> list[Update]:
        negotiation = self._negotiation
        if negotiation is None:
            return []
        return self.adj_out.updates(
            negotiation.send_ctx, ipv4_multiprotocol=self.spec.ipv4_multiprotocol)

    def _send(self, updates: list[Update]) -> None:
        session = self._session
        if updates and session is not None and session.state is State.ESTABLISHED:
            session.send_updates(updates)
            self.updates_sent += len(updates)

    def _exported(self, originations: Iterable[Origination]) -> list[Route]:
        """The routes as this peer must receive them; those that cannot go are kept in
        :attr:`unsent` and reported, grouped by reason, when they newly cannot go."""
        exporter = self.exporter
        if exporter is None:
            return []
        routes, unsent = exporter.export(originations)
        if self.unsent:  # sendable again
            for route in routes:
                self.unsent.pop(route.key, None)
        news: dict[str, list[RouteKey]] = {}
        for key, reason in unsent.items():
            if self.unsent.get(key) != reason:
                self.unsent[key] = reason
                news.setdefault(reason, []).append(key)
        for reason, keys in news.items():
            self._events.put(RoutesNotSent(self.spec.address, tuple(keys), reason))
        return routes


def _family_of(update: Update) -> Family | None:
    keys = update.announced() or update.withdrawals()
    return keys[0][0] if keys else update.end_of_rib
