"""The BGPPeers of this node inside one bgpwire Speaker: their sessions and their routes.

:class:`PeerSet` is what the runtime changes on each reload. It knows, per BGPPeer, the session
bgpwire runs for it (or why there is none) and the routes it gave the speaker for that peer,
so a new plan turns into the smallest set of speaker calls: routes announced and withdrawn by
difference (:mod:`.diff`), a session restarted only when its own PeerSpec changed, peers added
and removed one by one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_network
from typing import Literal

from bgpwire.aio import sockopts
from bgpwire.errors import LocalProtocolError
from bgpwire.speaker import PeerSpec, Speaker
from bgpwire_announcer.diff import RouteTable, group_by_attributes, route_changes
from bgpwire_announcer.interfaces import AddressPresence
from bgpwire_announcer.model import BGPPeer, RoutePlan
from bgpwire_announcer.plan import source_problem
from bgpwire_announcer.report import SessionReport
from bgpwire_announcer.snapshot import session_report
from bgpwire_announcer.speakers import (
    SOURCE_ABSENT,
    NoNextHop,
    peer_problem,
    plan_attributes,
)

log = logging.getLogger("bgpwire_announcer")

StopMode = Literal["withdraw", "graceful"]


@dataclass(slots=True)
class Changes:
    """What one application of a plan did (a reload logs it; tests read it)."""

    applied: bool
    announced: int = 0
    withdrawn: int = 0
    peers_added: list[str] = field(default_factory=list)
    peers_removed: list[str] = field(default_factory=list)
    peers_reset: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Peer:
    """One BGPPeer selected for this node."""

    peer: BGPPeer
    spec: PeerSpec | None
    """``None`` when the BGPPeer cannot be made a session (``problem`` says why)."""
    problem: str | None
    started: bool = False

    @property
    def address(self) -> str:
        return sockopts.normalize_address(self.peer.peer_address)


class PeerSet:
    """See the module docstring. ``make_spec`` turns a BGPPeer into its session; it may raise
    bgpwire's ``LocalProtocolError`` (or ``ValueError``) for a value bgpwire refuses."""

    def __init__(self, speaker: Speaker, make_spec: Callable[[BGPPeer], PeerSpec]) -> None:
        self.speaker = speaker
        self._make_spec = make_spec
        self._peers: dict[str, _Peer] = {}
        self._sent: dict[str, dict[str, RoutePlan]] = {}
        """Per peer address: the routes given to the speaker for it."""

    def __len__(self) -> int:
        return len(self._peers)

    def spec(self, peer: BGPPeer) -> tuple[PeerSpec | None, str | None]:
        """The session of ``peer``, or why it cannot be made (a value bgpwire refuses that
        validation let through: the peer gets that problem, the others carry on)."""
        try:
            return self._make_spec(peer), None
        except NoNextHop as error:
            return None, str(error)
        except (LocalProtocolError, ValueError) as error:
            return None, f"cannot be configured: {error}"

    # --- a new plan ---------------------------------------------------------------------------

    async def apply(self, peers: Iterable[BGPPeer], problems: Mapping[str, str | None],
                    tables: Mapping[str, RouteTable], *, listening: bool,
                    changes: Changes) -> None:
        """Make the speaker hold ``peers`` (the BGPPeers of this node), each with the routes
        of its table. Routes are given before a new peer starts, so its first session sends
        them all, then End-of-RIB."""
        wanted = {peer.name: peer for peer in peers}
        for name in [name for name in self._peers if name not in wanted]:
            await self._remove(name)
            changes.peers_removed.append(name)
        for name, peer in sorted(wanted.items()):
            spec, error = self.spec(peer)
            problem = error or peer_problem(peer, problems.get(name), listening=listening)
            entry = _Peer(peer, spec, problem)
            old = self._peers.get(name)
            if old is not None and old.address != entry.address:
                await self._remove(name)
                changes.peers_removed.append(name)
                old = None
            table = tables.get(name, {})
            self._push(entry.address, table, changes)
            if old is None:
                self._peers[name] = entry
                await self._start(entry)
                changes.peers_added.append(name)
            elif old.spec != entry.spec or old.problem != entry.problem:
                await self._change(old, entry, table, changes)
            else:
                old.peer = peer  # the same session; fields it does not use may differ

    def _push(self, address: str, table: RouteTable, changes: Changes) -> None:
        """Give the speaker the routes of ``table`` for ``address``, by difference."""
        sent = self._sent.setdefault(address, {})
        difference = route_changes(sent, table)
        if difference.withdraw:
            self.speaker.withdraw_many(
                (ip_network(prefix) for prefix in difference.withdraw), peer=address)
            for prefix in difference.withdraw:
                del sent[prefix]
        for routes in group_by_attributes(difference.announce).values():
            self.speaker.announce_many((ip_network(route.prefix) for route in routes),
                                       attributes=plan_attributes(routes[0]), peer=address)
            for route in routes:
                sent[route.prefix] = route
        changes.announced += len(difference.announce)
        changes.withdrawn += len(difference.withdraw)

    async def _start(self, entry: _Peer) -> None:
        if entry.problem is not None or entry.spec is None:
            log.warning("peer %s (%s) not started: %s", entry.peer.name, entry.address,
                        entry.problem)
            return
        try:
            await self.speaker.add_peer(entry.spec)
        except (LocalProtocolError, OSError) as error:
            entry.problem = f"cannot start: {error}"
            log.error("peer %s (%s): %s", entry.peer.name, entry.address, entry.problem)
            return
        entry.started = True

    async def _change(self, old: _Peer, entry: _Peer, table: RouteTable,
                      changes: Changes) -> None:
        name = entry.peer.name
        self._peers[name] = entry
        if old.started and entry.problem is None and entry.spec is not None:
            entry.started = True
            if old.spec != entry.spec:
                await self.speaker.update_peer(entry.spec, f"BGPPeer {name} changed")
                changes.peers_reset.append(name)
            return
        if old.started:  # it has a problem now
            await self.speaker.remove_peer(entry.address, entry.problem or "")
            self._sent.pop(entry.address, None)  # remove_peer dropped its routes
            self._push(entry.address, table, changes)
            changes.peers_reset.append(name)
            log.warning("peer %s stopped: %s", name, entry.problem)
            return
        await self._start(entry)
        if entry.started:
            changes.peers_added.append(name)

    async def _remove(self, name: str) -> None:
        entry = self._peers.pop(name)
        sent = self._sent.pop(entry.address, {})
        if entry.started:
            await self.speaker.remove_peer(entry.address, f"BGPPeer {name} removed")
        elif sent:
            self.speaker.withdraw_many((ip_network(prefix) for prefix in sent),
                                       peer=entry.address)

    # --- source addresses ---------------------------------------------------------------------

    async def recheck(self, presence: AddressPresence) -> None:
        """Start the peers whose source address has appeared; report those whose address
        went away (their session then fails and retries by itself)."""
        for entry in self._peers.values():
            source = entry.peer.source_address
            if source is None or entry.peer.freebind:
                continue
            present = presence(source)
            if entry.problem == SOURCE_ABSENT and present:
                log.info("peer %s: source address %s is present now", entry.peer.name, source)
                entry.problem = None
                if not entry.started:  # a running session retries by itself
                    await self._start(entry)
            elif entry.problem is None and not present:
                entry.problem = SOURCE_ABSENT
                log.warning("peer %s: source address %s went away", entry.peer.name, source)

    # --- host addresses -----------------------------------------------------------------------

    async def respec(self, presence: AddressPresence, *, listening: bool,
                     changes: Changes) -> None:
        """Make every session again from its BGPPeer, after the host's global addresses (the
        next hops of loopback sessions, and of the other family on some sessions) changed.

        A session whose spec changed is restarted with the new one (bgpwire keeps the next hop
        in the spec, so the router then gets every route again with the new next hop); a peer
        that had no next hop is started; one that lost its next hop is stopped with that
        problem, its routes reported as not sent. Problems that are not about the spec (source
        address absent, passive without ``--listen``...) stay as they are.
        """
        for _, old in sorted(self._peers.items()):
            spec, error = self.spec(old.peer)
            if spec == old.spec and (spec is not None or error == old.problem):
                continue
            if error is not None:
                problem: str | None = error
            elif old.spec is not None:  # the old problem, if any, was not about the spec
                problem = old.problem
            else:  # the spec error hid the other problems: look them up now
                problem = peer_problem(old.peer, source_problem(old.peer, presence),
                                       listening=listening)
            table = dict(self._sent.get(old.address, {}))
            await self._change(old, _Peer(old.peer, spec, problem), table, changes)

    # --- stop ---------------------------------------------------------------------------------

    async def stop(self, mode: StopMode | None, reason: str) -> None:
        """End every session: ``withdraw`` with a Cease, ``graceful`` without a NOTIFICATION,
        ``None`` gracefully only where the BGPPeer asks for graceful restart and the router
        agreed (elsewhere a dropped connection would leave the routes until its hold timer
        expires, so a withdrawal is better)."""
        for entry in self._peers.values():
            graceful = mode == "graceful" or (mode is None and self._graceful(entry))
            if entry.started and not graceful:
                entry.started = False
                await self.speaker.remove_peer(entry.address, reason)
        # Whoever is left goes without a NOTIFICATION: helpers keep the routes.
        await self.speaker.close(reason, graceful=mode != "withdraw")

    def _graceful(self, entry: _Peer) -> bool:
        if not entry.started or not entry.peer.enable_graceful_restart:
            return False
        capabilities = self.speaker.peer_status(entry.address).capabilities
        return capabilities is not None and capabilities.graceful_restart

    # --- status -------------------------------------------------------------------------------

    def name_of(self, address: str) -> str:
        for name, entry in self._peers.items():
            if entry.address == sockopts.normalize_address(address):
                return name
        return "(removed)"

    def reports(self) -> tuple[SessionReport, ...]:
        return tuple(
            session_report(entry.peer, entry.spec, entry.problem,
                           self._sent.get(entry.address, {}),
                           self.speaker.peer_status(entry.address) if entry.started else None)
            for _, entry in sorted(self._peers.items()))
