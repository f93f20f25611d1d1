"""The running announcer: one bgpwire :class:`~bgpwire.speaker.Speaker` kept equal to the plan.

:class:`Announcer` computes the plan (:mod:`.pipeline`), keeps the state file, turns each
BGPPeer selected for this node into a bgpwire peer (:mod:`.speakers`) and gives each peer the
routes the plan has for it (:mod:`.peers`). After that it only applies differences:

* **Reload** (SIGHUP, or a change of the files seen by polling once a second): a configuration
  that fails validation changes nothing (status shows why). Otherwise routes are compared per
  peer (:mod:`.diff`) and only new, changed and removed ones go out; a session is reset only
  when its own BGPPeer changed; new peers are added, removed ones removed.
* **Source addresses**: a BGPPeer whose ``sourceAddress`` is not on this host is not started
  ("source address absent", in status and metrics); it is checked again every few seconds and
  started once the address is there. The other peers are not affected.
* **Host addresses**: the host's global addresses, which are the next hops of sessions over
  loopback, are looked up at start, at each reload, and with the source addresses every few
  seconds; a change restarts only the sessions whose next hop it changes (and starts a loopback
  session that had none).
* **Stop** (SIGTERM, Ctrl-C): ``withdraw`` ends each session with Cease / Administrative
  Shutdown and a shutdown communication, so routers drop the routes at once; ``graceful``
  closes the connections without a NOTIFICATION, so peers that negotiated graceful restart keep
  the routes while the announcer is away. By default a session whose BGPPeer has
  ``enableGracefulRestart`` and whose router agreed to it is left gracefully; the others get
  the withdrawal (a dropped connection to a router without graceful restart would leave the
  routes in place until its hold timer expires).
* **Restart**: when the state file exists at start, the announcer ran before; the sessions then
  say so in their graceful-restart capability (Restart State and Forwarding State bits) so that
  helpers keep the routes until our End-of-RIB.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence, Sized
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

from bgpwire.errors import LocalProtocolError
from bgpwire.speaker import PeerDown, PeerSpec, PeerUp, Speaker
from bgpwire_announcer.allocate import Assignment
from bgpwire_announcer.interfaces import (
    AddressPresence,
    address_present,
    global_ipv4_address,
    global_ipv6_address,
    route_source_ipv4,
    router_id_from_name,
)
from bgpwire_announcer.model import BGPPeer
from bgpwire_announcer.peers import Changes, PeerSet, StopMode
from bgpwire_announcer.pipeline import Outcome, Refused, compute
from bgpwire_announcer.plan import routes_by_peer
from bgpwire_announcer.report import Phase, Report
from bgpwire_announcer.snapshot import pool_reports
from bgpwire_announcer.speakers import NodeSettings, peer_spec
from bgpwire_announcer.state import StateError, StateFile
from bgpwire_announcer.watch import CONFIG_SUFFIXES, ChangeWatcher

log = logging.getLogger("bgpwire_announcer")

DEFAULT_POLL_INTERVAL = 1.0
DEFAULT_RECHECK_INTERVAL = 3.0
DEFAULT_ASN = 64512
"""The speaker's own AS when no peer is configured yet (each peer brings its own)."""


class StartError(Exception):
    """The announcer cannot start; the message says why (and ``problems`` lists them)."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class Announcer:
    """See the module docstring. ``presence``, ``ipv6_next_hop`` and ``ipv4_next_hop`` (the
    host's global addresses) are the host checks (replaceable in tests); ``settings`` carries
    the command line's additions."""

    def __init__(self, paths: Sequence[str], settings: NodeSettings, *,
                 state_path: str | None = None,
                 listen: Sequence[tuple[str, int]] = (),
                 on_stop: StopMode | None = None,
                 presence: AddressPresence = address_present,
                 ipv6_next_hop: Callable[[], IPv6Address | None] = global_ipv6_address,
                 ipv4_next_hop: Callable[[], IPv4Address | None] = global_ipv4_address,
                 route_source: Callable[[str], IPv4Address | None] = route_source_ipv4,
                 poll_interval: float = DEFAULT_POLL_INTERVAL,
                 recheck_interval: float = DEFAULT_RECHECK_INTERVAL) -> None:
        self.paths = tuple(paths)
        self.node = settings.node
        self._settings = replace(settings, listening=bool(listen) or settings.listening)
        self._state = StateFile(state_path) if state_path else None
        self._listen = tuple(listen)
        self.on_stop = on_stop
        self._presence = presence
        self._ipv6_next_hop = ipv6_next_hop
        self._ipv4_next_hop = ipv4_next_hop
        self._route_source = route_source
        self._poll_interval = poll_interval
        self._recheck_interval = recheck_interval
        self._restarting = False
        self.phase: Phase = "starting"
        """What status says: ``starting`` until :meth:`start` has applied the first plan,
        ``running``, ``stopping`` from the first call of :meth:`stop`."""
        self._found_ipv6 = False
        """Whether ``next_hop_ipv6`` came from the host rather than the command line."""
        self._outcome: Outcome | None = None
        self._peers: PeerSet | None = None
        self._speaker: Speaker | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()
        self._watcher = ChangeWatcher(self.paths)
        self._config_valid = True
        self._last_error: str | None = None
        self._problems: tuple[str, ...] = ()
        self._state_error: str | None = None
        self.reloads = 0
        self.failed_reloads = 0

    # --- life -------------------------------------------------------------------------------

    @property
    def speaker(self) -> Speaker:
        if self._speaker is None:
            raise LocalProtocolError("the announcer is not started")
        return self._speaker

    @property
    def restarting(self) -> bool:
        """Whether this run follows an earlier one (the state file existed at start)."""
        return self._restarting

    @property
    def listen_ports(self) -> list[int]:
        return self.speaker.listen_ports

    async def start(self) -> None:
        """Compute the plan, start the speaker, give it the routes, then start the peers.

        Raises :class:`StartError` when the files are not valid or the state file is unusable.
        """
        self._check_state_path()
        remembered = self._load_state()
        try:
            outcome = await self._compute(remembered)
        except Refused as refused:
            raise StartError(f"the configuration is not valid ({len(refused.problems)} "
                             "problems)", refused.problems) from None
        for note in outcome.notes:
            log.info("note: %s", note)
        self._save_state(outcome)
        if self._state_error is not None:  # better no start than a restart that moves services
            raise StartError(self._state_error)
        self._settings = self._with_next_hops(self._settings)
        asn, router_id = self._speaker_identity(outcome)
        self._speaker = Speaker(asn, router_id, listen=self._listen,
                                restarting=self._restarting)
        try:
            await self._speaker.start()
        except (OSError, LocalProtocolError) as error:
            listen = " ".join(f"{host}:{port}" for host, port in self._listen)
            raise StartError(f"cannot listen on {listen}: {error}") from None
        peers = self._peers = PeerSet(self._speaker, self._make_spec)
        self._tasks.append(asyncio.create_task(self._read_events(self._speaker)))
        async with self._lock:
            await self._apply(peers, outcome, Changes(applied=True))
        self._tasks.append(asyncio.create_task(self._watch()))
        self._tasks.append(asyncio.create_task(self._recheck()))
        if self.phase == "starting":  # a stop may have begun meanwhile
            self.phase = "running"
        log.info("node %s: %s, %s, %s", self.node, _count(outcome.plan.services, "service"),
                 _count(outcome.plan.routes, "route"), _count(self._peers, "peer"))

    def _make_spec(self, peer: BGPPeer) -> PeerSpec:
        return peer_spec(peer, self._settings, route_source=self._route_source)

    async def _compute(self, remembered: Mapping[str, Assignment]) -> Outcome:
        """:func:`~.pipeline.compute` in a worker thread: reading and planning 10,000 services
        takes seconds, and the sessions' keepalives must not wait for it."""
        return await asyncio.to_thread(compute, self.paths, self.node, remembered,
                                       presence=self._presence)

    def _check_state_path(self) -> None:
        """A state file inside an input directory would be read as a manifest (and trigger a
        reload at each save): refuse that at once rather than fail on the first save."""
        if self._state is None:
            return
        state = self._state.path.resolve()
        for given in self.paths:
            directory = Path(given).resolve()
            if directory.is_dir() and state.is_relative_to(directory) \
                    and state.suffix in CONFIG_SUFFIXES:
                raise StartError(f"--state {self._state.path} lies in the input directory "
                                 f"{given}, whose {state.suffix} files are read as "
                                 "manifests: keep the state file elsewhere")

    def _load_state(self) -> dict[str, Assignment]:
        if self._state is None:
            return {}
        self._restarting = self._state.path.exists()
        try:
            return self._state.load()
        except StateError as error:
            raise StartError(str(error)) from None

    def _speaker_identity(self, outcome: Outcome) -> tuple[int, IPv4Address]:
        """The speaker's default AS and router ID: those of the first peer by name (each
        peer's session carries its own anyway)."""
        for peer in sorted(self._selected(outcome), key=lambda peer: peer.name):
            with contextlib.suppress(LocalProtocolError, ValueError):
                spec = self._make_spec(peer)
                return spec.config.local_as, spec.config.router_id
        return DEFAULT_ASN, self._settings.router_id or router_id_from_name(self.node)

    async def stop(self, mode: StopMode | None = None, reason: str = "") -> None:
        """Stop every session (see the module docstring for ``mode``) and the background work.

        The state file is written only by complete, atomic saves, so stopping at any point
        leaves it whole.
        """
        self.phase = "stopping"
        mode = mode or self.on_stop
        reason = reason or f"bgpwire-announcer on {self.node} stopping"
        for task in self._tasks[1:]:
            task.cancel()
        for task in self._tasks[1:]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._peers is not None:
            async with self._lock:
                await self._peers.stop(mode, reason)
        if self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._tasks[0], 5)
        self._tasks.clear()

    # --- reload -----------------------------------------------------------------------------

    async def reload(self) -> Changes:
        """Read the files again and apply what changed; a refused configuration changes
        nothing (status shows the problems)."""
        peers = self._peers
        if peers is None:
            log.info("reload asked before the announcer started: the start reads the files")
            return Changes(applied=False)
        async with self._lock:
            current = self._outcome
            remembered = current.assignments if current is not None else {}
            try:
                outcome = await self._compute(remembered)
            except Refused as refused:
                self.failed_reloads += 1
                self._config_valid = False
                self._problems = refused.problems
                self._last_error = str(refused)
                log.error("reload refused, still running the previous configuration: %d "
                          "problems", len(refused.problems))
                for problem in refused.problems:
                    log.error("  %s", problem)
                return Changes(applied=False)
            except Exception as error:  # a reader bug must not stop the sessions
                self.failed_reloads += 1
                self._config_valid = False
                self._last_error = f"reload failed: {error!r}"
                self._problems = (self._last_error,)
                log.exception("reload failed; still running the previous configuration")
                return Changes(applied=False)
            self._settings = self._with_next_hops(self._settings)
            result = await self._apply(peers, outcome, Changes(applied=True))
            self.reloads += 1
            log.info("reload applied: %d routes announced, %d withdrawn; peers added %s, "
                     "removed %s, reset %s", result.announced, result.withdrawn,
                     result.peers_added or "none", result.peers_removed or "none",
                     result.peers_reset or "none")
            return result

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval)
            if self._watcher.changed():
                log.info("configuration files changed; reloading")
                await self.reload()

    # --- applying a plan --------------------------------------------------------------------

    async def _apply(self, peers: PeerSet, outcome: Outcome, changes: Changes) -> Changes:
        previous = self._outcome
        self._outcome = outcome
        self._config_valid = True
        self._last_error = None
        self._problems = ()
        if previous is not None and previous.assignments != outcome.assignments:
            self._save_state(outcome)
        problems = {peer.name: peer.problem for peer in outcome.plan.peers}
        await peers.apply(self._selected(outcome), problems, routes_by_peer(outcome.plan),
                                listening=self._settings.listening, changes=changes)
        return changes

    @staticmethod
    def _selected(outcome: Outcome) -> list[BGPPeer]:
        names = {plan.name for plan in outcome.plan.peers}
        return [peer for peer in outcome.config.peers if peer.name in names]

    def _save_state(self, outcome: Outcome) -> None:
        if self._state is None:
            return
        try:
            self._state.save(outcome.assignments)
            self._state_error = None
        except (StateError, OSError) as error:
            self._state_error = f"state file not saved: {error}"
            log.error("%s", self._state_error)

    def _with_next_hops(self, settings: NodeSettings) -> NodeSettings:
        """The host's global addresses, looked up again at each start and reload (an address
        may have come or gone); what the command line gives wins."""
        if settings.next_hop_ipv6 is None or self._found_ipv6:
            settings = replace(settings, next_hop_ipv6=self._ipv6_next_hop())
            self._found_ipv6 = True
        return replace(settings, host_ipv4=self._ipv4_next_hop())

    # --- source addresses that appear later -------------------------------------------------

    async def _recheck(self) -> None:
        while True:
            await asyncio.sleep(self._recheck_interval)
            await self.recheck()

    async def recheck(self) -> None:
        """Start the peers whose source address has appeared; report those whose address
        went away (their session then fails and retries by itself). Then look the host's
        global addresses up again: a change is applied at once (:meth:`PeerSet.respec`) rather
        than at the next reload, so a loopback session that had no next hop starts as soon as
        the host has one."""
        if self._peers is not None:
            async with self._lock:
                await self._peers.recheck(self._presence)
                await self._recheck_next_hops(self._peers)

    async def _recheck_next_hops(self, peers: PeerSet) -> None:
        settings = self._with_next_hops(self._settings)
        if settings == self._settings:
            return
        self._settings = settings
        changes = Changes(applied=True)
        await peers.respec(self._presence, listening=settings.listening, changes=changes)
        log.info("host addresses changed (IPv4 %s, IPv6 %s): peers started %s, reset %s",
                 settings.host_ipv4, settings.next_hop_ipv6, changes.peers_added or "none",
                 changes.peers_reset or "none")

    # --- events -----------------------------------------------------------------------------

    async def _read_events(self, speaker: Speaker) -> None:
        """Log the sessions' ups and downs (status reads the speaker directly)."""
        async for event in speaker.events():
            if isinstance(event, PeerUp):
                log.info("session %s (%s) established", self._name_of(event.address),
                         event.address)
            elif isinstance(event, PeerDown):
                cause = event.reason
                if event.notification is not None:
                    cause = f"{cause}: {event.notification.describe()}"
                log.warning("session %s (%s) down: %s", self._name_of(event.address),
                            event.address, cause)

    def _name_of(self, address: str) -> str:
        return self._peers.name_of(address) if self._peers is not None else "?"

    # --- status -----------------------------------------------------------------------------

    def report(self) -> Report:
        """A snapshot for the status endpoint."""
        outcome = self._outcome
        sessions = self._peers.reports() if self._peers is not None else ()
        notes = tuple(outcome.notes) if outcome is not None else ()
        if self._state_error:
            notes = (*notes, self._state_error)
        if outcome is None:
            return Report(self.node, self._config_valid, self._last_error, self._problems,
                          notes, self.reloads, self.failed_reloads, sessions, (), 0, (), (),
                          self.phase)
        return Report(self.node, self._config_valid, self._last_error, self._problems,
                      notes, self.reloads, self.failed_reloads, sessions,
                      outcome.plan.services, len(outcome.plan.routes), outcome.plan.withheld,
                      pool_reports(outcome), self.phase)


def _count(items: Sized, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
